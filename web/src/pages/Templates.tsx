export function Templates() {
  return <h1>Templates</h1>;
}

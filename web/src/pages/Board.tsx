export function Board() {
  return <h1>Releases</h1>;
}

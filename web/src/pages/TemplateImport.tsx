export function TemplateImport() {
  return <h1>Import a checklist</h1>;
}

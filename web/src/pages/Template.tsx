export function TemplatePage({ templateId }: { templateId: string }) {
  return <h1>Template {templateId}</h1>;
}

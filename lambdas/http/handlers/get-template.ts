// GET /templates/{templateId}
import { httpRoute, ok } from '../api.ts';
import { templatesService } from '../composition.ts';
import { TemplateParams } from '../schemas.ts';

const templates = templatesService();

export const handler = httpRoute({ params: TemplateParams }, ({ actor, params }) =>
  ok(templates.getTemplate(actor, params.templateId)),
);

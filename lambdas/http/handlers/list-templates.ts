// GET /templates
import { httpRoute, ok } from '../api.ts';
import { templatesService } from '../composition.ts';

const templates = templatesService();

export const handler = httpRoute({}, ({ actor }) => ok({ items: templates.listTemplates(actor) }));

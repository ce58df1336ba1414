// One Powertools logger per container; structured JSON, no request bodies or tokens in it.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'shipgate' });

// Imported first by the local runtime: the handlers' Powertools logger reads POWERTOOLS_LOG_LEVEL when it is created
// (when lambdas/functions/logger.ts is first imported) and returns to that level at every warm invocation, so the level
// must be in the environment before any handler module loads. WARN keeps a terminal readable; set it to see more.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

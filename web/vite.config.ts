// The web console's build: a single-page app under web/, written to web/dist, which the local runtime serves at `/`
// and CDK deploys to the console bucket. `npx vite build --config web/vite.config.ts` (the runtime builds it itself
// on first start).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One bundle is small enough (the budget is 200 KB gzipped, measured by the browser test).
    chunkSizeWarningLimit: 800,
  },
});

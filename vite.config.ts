import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

// `npm run build` writes the unpacked Chrome extension to dist/chrome/
// (a stable interface: tests and users load it from there).
export default defineConfig({
  plugins: [preact(), crx({ manifest, browser: 'chrome' })],
  build: {
    outDir: 'dist/chrome',
    emptyOutDir: true,
    // Extension pages load from the package; no source maps with inlined secrets, small output.
    sourcemap: false,
    target: 'es2022',
    rollupOptions: {
      input: {
        result: 'src/callback/result.html',
      },
    },
  },
  server: { port: 5173, strictPort: true },
});

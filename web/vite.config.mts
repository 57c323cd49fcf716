// Vite build of the agent workspace: web/src → web/dist, served by `sanad serve` under /app/.
// The server's CSP allows no inline script or style, so everything is emitted as files.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
    root: fileURLToPath(new URL('.', import.meta.url)),
    base: '/app/',
    plugins: [preact({ prefreshEnabled: false, devToolsEnabled: false })],
    build: {
        outDir: 'dist',
        emptyOutDir: true,
        assetsInlineLimit: 0,
        cssCodeSplit: false,
        modulePreload: { polyfill: false },
        target: 'es2022',
        sourcemap: false,
        reportCompressedSize: false,
    },
    server: {
        // `npm run dev`: the API and the stream come from a local `sanad serve`.
        proxy: {
            '/api': { target: 'http://127.0.0.1:8080', ws: true },
        },
    },
});

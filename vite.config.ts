import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is one static build served by both transports: Electron's
// iriscope:// protocol and `iriscope serve`. Relative asset paths make it
// work under either origin.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});

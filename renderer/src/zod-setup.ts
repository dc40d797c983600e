// Imported first by main.tsx, before any schema is built: zod probes for
// eval() to speed up parsing, and the page's CSP forbids eval.
import { config } from 'zod';

config({ jitless: true });

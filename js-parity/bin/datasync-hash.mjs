#!/usr/bin/env node
// Content hash v1 over JSON text lines on stdin; see `datasync-hash --help`.
// The TypeScript is compiled to dist/ by `npm ci` (the prepare script) or `npm run build`.
import { main } from "../dist/src/cli.js";

process.exitCode = await main(process.argv.slice(2));

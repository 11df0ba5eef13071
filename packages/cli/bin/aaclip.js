#!/usr/bin/env node
// Committed launcher so the `aaclip` bin exists before the TypeScript build (run by `npm ci`'s prepare).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));

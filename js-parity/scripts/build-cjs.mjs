// The CommonJS build, for `require("datasync-engine")` and `require("datasync-engine/hash")`:
// one bundle per entry point (dependencies included: @noble/hashes and canonicalize publish
// ES modules only) and the type declarations of dist/src copied as .d.cts.
import { build } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = join(root, "dist", "src");
const out = join(root, "dist", "cjs");

for (const entry of ["index", "hash"]) {
  await build({
    entryPoints: [join(root, "src", `${entry}.ts`)],
    outfile: join(out, `${entry}.cjs`),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
}

function declarations(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarations(path);
    return name.endsWith(".d.ts") ? [path] : [];
  });
}

for (const file of declarations(types)) {
  const target = join(out, relative(types, file)).replace(/\.d\.ts$/, ".d.cts");
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(file, "utf8").replace(/(from\s+["']\.{1,2}\/[^"']*)\.js(["'])/g, "$1.cjs$2");
  writeFileSync(target, text);
}

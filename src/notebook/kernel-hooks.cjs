/*
 * Lets tslab notebooks import the project's TypeScript source (`import { Rng } from "../src/util/rng.js"`) with
 * the same semantics as scripts and tests. Loaded by kernel-boot.cjs before tslab starts.
 *
 * tslab type-checks each cell with its own TypeScript (5.0, CommonJS, rootDir = the notebook's folder) and
 * would also compile and run every imported project .ts itself. That fails here: files outside the notebook's
 * folder break its rootDir (yunabe/tslab#63), its CommonJS output cannot run inside a "type": "module" package,
 * and it knows nothing of `import.meta` or newer TypeScript. So:
 *
 *  1. Types: tslab's compiler sees every project .ts file (outside node_modules) as a declaration file with the
 *     same text. Declaration files are never emitted nor checked against rootDir, and with skipLibCheck their
 *     bodies are not checked, yet their exported types are inferred as usual: cells get full types and
 *     completions, and the project's own code is checked by `tsc` (strict), not by tslab.
 *  2. Runtime: tsx's loaders are registered, and a `require("./x.js")` that does not exist falls back to the
 *     `x.ts` beside it (what TypeScript's NodeNext resolution means by that import), so project modules run as
 *     tsx runs them in `npm start` and the tests.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const TS_SOURCE = /\.(?:ts|mts|cts|tsx)$/;
const DECLARATION = /\.d\.(?:ts|mts|cts)$/;

async function install(root) {
  const projectPrefix = root.endsWith(path.sep) ? root : root + path.sep;
  const nodeModules = `${path.sep}node_modules${path.sep}`;
  const isProjectFile = (p) => p.startsWith(projectPrefix) && !p.includes(nodeModules);

  // 1. Declaration view of project sources, for tslab's TypeScript only (its own `sys` object).
  const ts = Module.createRequire(path.join(root, "node_modules", "tslab", "package.json"))("@tslab/typescript-for-tslab");
  const sys = ts.sys;
  const fileExists = sys.fileExists.bind(sys);
  const readFile = sys.readFile.bind(sys);
  /** The project source that a virtual `x.d.ts` stands for, or null. */
  const sourceOfDeclaration = (p) => {
    if (!isProjectFile(p) || !p.endsWith(".d.ts")) return null;
    const source = p.slice(0, -".d.ts".length) + ".ts";
    return fileExists(source) ? source : null;
  };
  sys.fileExists = (p) => {
    if (isProjectFile(p) && TS_SOURCE.test(p) && !DECLARATION.test(p)) return false;
    return sourceOfDeclaration(p) !== null || fileExists(p);
  };
  sys.readFile = (p, encoding) => readFile(sourceOfDeclaration(p) ?? p, encoding);

  // 2. Runtime: tsx for .ts, and NodeNext's ".js means the .ts beside it" for requires from notebook cells.
  require("tsx/cjs/api").register();
  // ESM hooks too, for project code that does `await import("./x.js")`. Through the ESM build of the API:
  // the CommonJS build of tsx 4.x registers its hooks from a wrong relative path.
  const { register } = await import("tsx/esm/api");
  register();
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveTsSibling(request, parent, ...rest) {
    try {
      return resolveFilename.call(this, request, parent, ...rest);
    } catch (err) {
      if (request.startsWith(".") && request.endsWith(".js") && parent && typeof parent.filename === "string") {
        const candidate = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + ".ts");
        if (fs.existsSync(candidate)) return candidate;
      }
      throw err;
    }
  };
}

module.exports = { install };

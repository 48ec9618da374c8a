// Marks dist/cjs as CommonJS so Node loads the require() build correctly (the package is "type": "module").
import { writeFileSync } from "node:fs";

writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), '{"type":"commonjs"}\n');

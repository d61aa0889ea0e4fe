#!/usr/bin/env node
// Reference side of the JSONata differential test (local/asl/tests/jsonata_differential.rs).
//
// Usage: node reference.js [CASES.jsonl [OUT.jsonl]] (stdin / stdout without them).
// Reads JSON-lines cases {"id","cat","expr","doc"}, evaluates each with
// jsonata@2.0.6 (the version Step Functions documents; pinned in package.json / package-lock.json)
// and writes one JSON line per case:
//   {"id": 1, "result": <value>}                       the value, as JSON.stringify gives it
//   {"id": 1, "undefined": true}                       no value
//   {"id": 1, "error": {"code": "T2001", "message": "..."}}
//   {"id": 1, "timeout": true}                         no answer within TIMEOUT_MS (default 2000)
// with flags where JSON cannot say what the reference returned:
//   "function": true   the result is (or holds) a function, lambda or regex (result "<function>"
//                      at the top level; JSON.stringify drops nested ones)
//   "nonfinite": true  the result holds Infinity/-Infinity/NaN (JSON.stringify writes null)
//   "undefined_in_array": true  an array of the result holds undefined (JSON.stringify writes null)
//   "utf16": true      a string of the result holds a lone UTF-16 surrogate (written as U+FFFD,
//                      which JSON parsers other than JavaScript's refuse)
//   "internal": true   the error is a JavaScript error of jsonata-js itself (TypeError,
//                      RangeError: no JSONata error code)
// Each case runs in a child process (reused); one that does not answer in time, or crashes the
// process, has it killed and restarted.
'use strict';
const { fork } = require('child_process');
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 2000);

function isFn(v) {
  return typeof v === 'function' || v instanceof RegExp ||
    (v !== null && typeof v === 'object' && (v._jsonata_lambda || v._jsonata_function));
}

if (process.argv[2] === '--child') {
  const jsonata = require('jsonata');
  process.on('message', async (c) => {
    let out;
    try {
      const r = await jsonata(c.expr).evaluate(c.doc);
      if (r === undefined) out = { undefined: true };
      else if (isFn(r)) out = { result: '<function>', function: true };
      else {
        const flags = {};
        const s = JSON.stringify(r, (k, v) => {
          if (isFn(v)) { flags.function = true; return undefined; }
          if (typeof v === 'number' && !Number.isFinite(v)) flags.nonfinite = true;
          if (Array.isArray(v) && v.some((x) => x === undefined)) flags.undefined_in_array = true;
          if (typeof v === 'string' && /[\ud800-\udfff]/.test(v) && !v.isWellFormed()) {
            flags.utf16 = true;
            return v.toWellFormed();
          }
          if (typeof k === 'string' && /[\ud800-\udfff]/.test(k) && !k.isWellFormed()) flags.utf16 = true;
          return v;
        });
        out = s === undefined ? { undefined: true, ...flags } : { result: JSON.parse(s), ...flags };
      }
    } catch (e) {
      const jsonataCode = e && typeof e.code === 'string' ? e.code : null;
      const code = jsonataCode || (e && e.name) || 'nocode';
      out = { error: { code: String(code), message: String((e && e.message) || e) } };
      if (!jsonataCode) out.internal = true;
    }
    process.send(out);
  });
} else {
  const fs = require('fs');
  const version = require('jsonata/package.json').version;
  if (version !== '2.0.6') {
    process.stderr.write(`reference.js: jsonata ${version} installed, 2.0.6 expected: run npm ci --prefix local/asl/jsonata-diff\n`);
    process.exit(2);
  }
  const input = fs.readFileSync(process.argv[2] || 0, 'utf8');
  const lines = input.split('\n').filter((l) => l.trim());
  // Cases run in a child process, so that one which takes V8 down (`[1e21..1e21]` loops in 2.0.6,
  // growing an array until the heap limit, which is fatal even in a worker thread) costs only a
  // restart of the child; its heap is capped so that this happens quickly.
  let child = null;
  const newChild = () => {
    child = fork(__filename, ['--child'], { execArgv: ['--max-old-space-size=512'], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  };
  newChild();
  const run = (c) => new Promise((resolve) => {
    let done = false;
    const finish = (out, restart) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.removeAllListeners();
      if (restart) {
        child.kill('SIGKILL');
        newChild();
      }
      resolve(out);
    };
    const timer = setTimeout(() => finish({ timeout: true }, true), TIMEOUT_MS);
    child.on('message', (m) => finish(m, false));
    child.on('error', (e) => finish({
      error: { code: String((e && e.code) || 'ChildError'), message: String((e && e.message) || e) },
      internal: true,
    }, true));
    child.on('exit', (code, signal) => finish({
      error: { code: 'ReferenceCrash', message: `jsonata-js process ended (${signal || code}): out of memory or fatal V8 error` },
      internal: true,
    }, true));
    child.send(c);
  });
  (async () => {
    const out = [];
    for (const line of lines) {
      const c = JSON.parse(line);
      const o = await run(c);
      out.push(JSON.stringify({ id: c.id, ...o }));
    }
    child.removeAllListeners();
    child.kill('SIGKILL');
    const text = out.join('\n') + '\n';
    if (process.argv[3]) {
      fs.writeFileSync(process.argv[3], text);
      process.exit(0);
    }
    process.stdout.write(text, () => process.exit(0));
  })();
}

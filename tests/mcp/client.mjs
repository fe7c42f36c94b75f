// client.mjs -- an MCP client made with the official TypeScript SDK
// (@modelcontextprotocol/sdk over StreamableHTTPClientTransport), driven
// by tests/integration/test_mcp.py.
//
// Usage: node client.mjs NODE_MODULES_DIR < plan.json > report.json
// plan: {"url", "headers": {...}, "steps": [step...]}; a step is
//   {"op": "list"} | {"op": "resources"} | {"op": "read", "uri"} |
//   {"op": "call", "name", "arguments"} | {"op": "ping"}
// The report holds the server's initialize answer and one entry per
// step: {"ok": true, "result"} or {"ok": false, "error", "code"}; every
// tools/call result with structuredContent is also checked here with
// Ajv against the tool's outputSchema ("schema_ok", "schema_errors"),
// besides the SDK's own check.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const nm = process.argv[2];
const req = createRequire(path.join(nm, 'noop.js'));
const { Client } = req('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } =
    req('@modelcontextprotocol/sdk/client/streamableHttp.js');
const Ajv = req('ajv').default;

const plan = JSON.parse(readFileSync(0, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const transport = new StreamableHTTPClientTransport(new URL(plan.url), {
	requestInit: { headers: plan.headers || {} },
});
const client = new Client({ name: 'polarflow-mcp-test', version: '1.0.0' });
const report = { steps: [] };
let schemas = {};

function fail(e) {
	return { ok: false, error: String(e && e.message || e),
	    code: e && e.code !== undefined ? e.code : null };
}

try {
	await client.connect(transport);
	report.server = {
		version: client.getServerVersion(),
		capabilities: client.getServerCapabilities(),
		instructions: client.getInstructions(),
		protocol: transport.protocolVersion || null,
	};
} catch (e) {
	report.connect_error = fail(e);
	process.stdout.write(JSON.stringify(report));
	process.exit(0);
}

for (const step of plan.steps) {
	let out;
	try {
		if (step.op === 'list') {
			const r = await client.listTools();
			for (const t of r.tools)
				schemas[t.name] = t.outputSchema;
			out = { ok: true, result: r };
		} else if (step.op === 'resources') {
			out = { ok: true, result: await client.listResources() };
		} else if (step.op === 'read') {
			out = { ok: true, result:
			    await client.readResource({ uri: step.uri }) };
		} else if (step.op === 'ping') {
			out = { ok: true, result: await client.ping() };
		} else if (step.op === 'call') {
			const r = await client.callTool({ name: step.name,
			    arguments: step.arguments || {} });
			out = { ok: true, result: r };
			const s = schemas[step.name];
			if (s && r.structuredContent !== undefined) {
				const v = ajv.compile(s);
				out.schema_ok = v(r.structuredContent);
				out.schema_errors = v.errors || null;
			}
		} else {
			out = { ok: false, error: 'unknown op ' + step.op };
		}
	} catch (e) {
		out = fail(e);
	}
	report.steps.push(out);
}
await client.close();
process.stdout.write(JSON.stringify(report));

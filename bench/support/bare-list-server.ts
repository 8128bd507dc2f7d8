// The floor of bench:incidents: a minimal HTTP service over a list's SQL. node:http, a pg pool,
// the same statements as the API (sent by the benchmark over IPC), JSON.stringify of the rows:
// no token, no validation, no log, no framework, and no parsing of the values (each column
// stays the text PostgreSQL sent: no Dates, no numbers). What it costs beyond the SQL path is
// about what an HTTP service pays on this machine before doing any work of its own.
import { createServer } from 'node:http';
import pg from 'pg';
import { runListStatements, type ListStatements } from './list-statements.js';

const [databaseUrl, port, connections] = process.argv.slice(2);
// Every value as PostgreSQL's text: parsing timestamps into Dates is work a service may skip.
const asText = { getTypeParser: () => (value: string) => value };
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(connections), types: asText });
let lists: ListStatements[] = [];
process.on('message', (message: { lists: ListStatements[] }) => {
  lists = message.lists;
  process.send?.('lists');
});

createServer((req, res) => {
  // GET /<n>: the n-th list the benchmark sent.
  const list = lists[Number(req.url?.slice(1))];
  if (!list) return void res.writeHead(404).end();
  runListStatements(pool, list).then(
    (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result.rows)),
    (error: unknown) => res.writeHead(500).end(String(error)),
  );
}).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));

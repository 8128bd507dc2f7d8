// The naive baseline of bench:proxy: Express 5 and http-proxy-middleware with their defaults
// (no keep-alive agent), as a first attempt at a pass-through proxy would look.
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [target, port] = process.argv.slice(2);
const app = express();
app.use(createProxyMiddleware({ target }));
app.listen(Number(port), '127.0.0.1', () => process.send?.('ready'));

// A minimal RFC 6455 WebSocket client for the stream tests (node 20 has none built in): the
// opening handshake over node:http's upgrade, masked client frames, unmasked server frames,
// fragmentation, ping/pong (answered automatically unless autoPong is false) and the close
// handshake. Enough to test a server, not a general-purpose client.
import crypto from 'node:crypto';
import http from 'node:http';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

// Open `path` on `base` (http://host:port). Resolves with a WsClient after a 101, or with
// {status, headers, text, json} when the server answered anything else.
export function openWs(base, path, { headers = {}, autoPong = true, timeout = 10_000 } = {}) {
    const u = new URL(base + path);
    const key = crypto.randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: u.hostname,
            port: u.port,
            path: u.pathname + u.search,
            agent: false,
            headers: {
                connection: 'Upgrade',
                upgrade: 'websocket',
                'sec-websocket-version': '13',
                'sec-websocket-key': key,
                ...headers,
            },
        });
        const timer = setTimeout(() => req.destroy(new Error(`no answer to the handshake on ${path}`)), timeout);
        req.on('upgrade', (res, socket, head) => {
            clearTimeout(timer);
            const want = crypto.createHash('sha1').update(key + GUID).digest('base64');
            if (res.headers['sec-websocket-accept'] !== want) {
                socket.destroy();
                reject(new Error(`bad Sec-WebSocket-Accept: ${res.headers['sec-websocket-accept']}`));
                return;
            }
            resolve(new WsClient(socket, head, { autoPong, headers: res.headers }));
        });
        req.on('response', (res) => {
            clearTimeout(timer);
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json = null;
                try {
                    json = JSON.parse(text);
                } catch {
                    // not JSON
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json });
            });
        });
        req.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
        req.end();
    });
}

function encodeFrame(opcode, payload) {
    const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '', 'utf8');
    const mask = crypto.randomBytes(4);
    let head;
    if (data.length < 126) {
        head = Buffer.alloc(2);
        head[1] = 0x80 | data.length;
    } else if (data.length < 65536) {
        head = Buffer.alloc(4);
        head[1] = 0x80 | 126;
        head.writeUInt16BE(data.length, 2);
    } else {
        head = Buffer.alloc(10);
        head[1] = 0x80 | 127;
        head.writeBigUInt64BE(BigInt(data.length), 2);
    }
    head[0] = 0x80 | opcode;
    const body = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) {
        body[i] = data[i] ^ mask[i & 3];
    }
    return Buffer.concat([head, mask, body]);
}

export class WsClient {
    constructor(socket, head, { autoPong, headers }) {
        this.socket = socket;
        this.headers = headers;
        this.autoPong = autoPong;
        this.buf = Buffer.alloc(0);
        this.fragments = null;
        this.messages = []; // parsed JSON text messages, in order
        this.pongs = []; // payloads of pongs received
        this.pings = 0; // pings received from the server
        this.waiters = [];
        this.closeInfo = null; // {code, reason} of the server's close frame
        this.ended = false;
        this.closed = new Promise((resolve) => {
            this.resolveClosed = resolve;
        });
        socket.on('data', (d) => this.onData(d));
        socket.on('close', () => this.onEnd());
        socket.on('error', () => this.onEnd());
        if (head && head.length) {
            this.onData(head);
        }
    }

    onEnd() {
        if (this.ended) {
            return;
        }
        this.ended = true;
        this.resolveClosed(this.closeInfo ?? { code: null, reason: '' });
        this.notify();
    }

    notify() {
        for (const w of [...this.waiters]) {
            w();
        }
    }

    onData(d) {
        this.buf = Buffer.concat([this.buf, d]);
        for (;;) {
            if (this.buf.length < 2) {
                return;
            }
            const b0 = this.buf[0];
            const b1 = this.buf[1];
            if (b1 & 0x80) {
                throw new Error('the server sent a masked frame');
            }
            let len = b1 & 0x7f;
            let off = 2;
            if (len === 126) {
                if (this.buf.length < 4) {
                    return;
                }
                len = this.buf.readUInt16BE(2);
                off = 4;
            } else if (len === 127) {
                if (this.buf.length < 10) {
                    return;
                }
                len = Number(this.buf.readBigUInt64BE(2));
                off = 10;
            }
            if (this.buf.length < off + len) {
                return;
            }
            const payload = this.buf.subarray(off, off + len);
            this.buf = this.buf.subarray(off + len);
            this.onFrame(b0 & 0x80, b0 & 0x0f, Buffer.from(payload));
        }
    }

    onFrame(fin, opcode, payload) {
        if (opcode === OP.ping) {
            this.pings += 1;
            if (this.autoPong && !this.ended) {
                this.socket.write(encodeFrame(OP.pong, payload));
            }
        } else if (opcode === OP.pong) {
            this.pongs.push(payload.toString('utf8'));
        } else if (opcode === OP.close) {
            const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
            this.closeInfo = { code, reason: payload.subarray(2).toString('utf8') };
            if (!this.ended) {
                this.socket.write(encodeFrame(OP.close, payload.subarray(0, 2)));
                this.socket.end();
            }
        } else if (opcode === OP.text || opcode === OP.cont) {
            this.fragments = this.fragments ? Buffer.concat([this.fragments, payload]) : payload;
            if (fin) {
                const text = this.fragments.toString('utf8');
                this.fragments = null;
                this.messages.push(JSON.parse(text));
            }
        }
        this.notify();
    }

    // Wait until pred(this) is truthy (checked on every frame); rejects after `timeout` ms.
    waitFor(pred, timeout = 5_000, what = 'condition') {
        return new Promise((resolve, reject) => {
            const check = () => {
                let v;
                try {
                    v = pred(this);
                } catch (e) {
                    done();
                    reject(e);
                    return;
                }
                if (v) {
                    done();
                    resolve(v);
                } else if (this.ended && !v) {
                    done();
                    reject(new Error(`connection ended while waiting for ${what}; close ${JSON.stringify(this.closeInfo)}`));
                }
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`timed out waiting for ${what}; messages: ${JSON.stringify(this.messages).slice(0, 2000)}`));
            }, timeout);
            const done = () => {
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== check);
            };
            this.waiters.push(check);
            check();
        });
    }

    // The first message matching pred (among all received so far or later).
    next(pred, timeout, what) {
        return this.waitFor((c) => c.messages.find(pred), timeout, what);
    }

    events() {
        return this.messages.filter((m) => m.id !== undefined && m.type !== 'ready' && m.type !== 'resync');
    }

    send(text) {
        this.socket.write(encodeFrame(OP.text, text));
    }

    ping(payload = 'p') {
        this.socket.write(encodeFrame(OP.ping, payload));
        return this.waitFor((c) => c.pongs.includes(payload), 5_000, `pong ${payload}`);
    }

    // Close handshake from our side; resolves when the socket is gone.
    async close(code = 1000) {
        if (!this.ended) {
            const p = Buffer.alloc(2);
            p.writeUInt16BE(code, 0);
            this.socket.write(encodeFrame(OP.close, p));
        }
        const t = setTimeout(() => this.socket.destroy(), 3_000);
        await this.closed;
        clearTimeout(t);
    }

    // Drop the TCP connection without a close frame.
    destroy() {
        this.socket.destroy();
    }
}

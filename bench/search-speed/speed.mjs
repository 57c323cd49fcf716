// speed.mjs — the search-speed benchmark's two halves (driven by bench/search-speed/run):
//   node speed.mjs articles ARCD.json N LINE > articles.jsonl   N articles made of ARCD sentences
//   node speed.mjs queries URL ARCD.json N [suggest]            N queries through the HTTP API,
//                                                               one at a time, keep-alive; prints
//                                                               p50 / p90 / p99 / p99.9 / max
import fs from 'node:fs';
import http from 'node:http';

const [mode, ...args] = process.argv.slice(2);

function arcd(path) {
    const d = JSON.parse(fs.readFileSync(path, 'utf8'));
    const paras = [];
    const questions = [];
    for (const a of d.data) {
        for (const p of a.paragraphs) {
            paras.push({ title: a.title, sentences: p.context.split(/(?<=[.؟!])\s+/).filter((s) => s.length > 10) });
            for (const q of p.qas) questions.push(q.question.replace(/^[\s-]+/, '').trim());
        }
    }
    return { paras, questions };
}

// A deterministic generator, so every run indexes the same corpus.
let seed = 42;
const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
};

if (mode === 'articles') {
    const [path, n, line] = args;
    const { paras } = arcd(path);
    const out = [];
    for (let i = 0; i < Number(n); i++) {
        const p = paras[i % paras.length];
        const q = paras[rand(paras.length)];
        const body = [...p.sentences.slice(0, 2 + rand(4)), ...q.sentences.slice(0, 1 + rand(2))].join(' ');
        out.push(JSON.stringify({
            title: `${p.title} ${i}`, body, lang: 'ar', service_line: line, status: 'published', slug: `bench-${i}`,
        }));
    }
    process.stdout.write(`${out.join('\n')}\n`);
} else if (mode === 'queries') {
    const [url, path, n, kind] = args;
    const { questions } = arcd(path);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (p) => new Promise((resolve, reject) => {
        const req = http.get(url + p, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c) => { body += c; });
            res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', reject);
    });
    const endpoint = kind === 'suggest' ? 'suggest' : 'search';
    const times = [];
    let hits = 0;
    const total = Number(n);
    for (let i = 0; i < total + 200; i++) {
        let q = questions[i % questions.length];
        if (kind === 'suggest') q = q.slice(0, 4 + (i % 12)); // what has been typed so far
        const t0 = process.hrtime.bigint();
        const r = await get(`/api/v1/kb/${endpoint}?q=${encodeURIComponent(q)}&lang=ar`);
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        if (r.status !== 200) throw new Error(`${r.status} ${r.body}`);
        if (i < 200) continue; // warm-up
        times.push(us);
        if (JSON.parse(r.body).results.length > 0) hits++;
    }
    times.sort((a, b) => a - b);
    const pct = (p) => (times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] / 1000).toFixed(2);
    const mean = times.reduce((a, b) => a + b, 0) / times.length / 1000;
    console.log(`${endpoint}: ${times.length} queries, one at a time: p50 ${pct(50)} ms  p90 ${pct(90)} ms  ` +
        `p99 ${pct(99)} ms  p99.9 ${pct(99.9)} ms  max ${(times[times.length - 1] / 1000).toFixed(2)} ms  ` +
        `mean ${mean.toFixed(2)} ms  (${hits} with results)`);
    agent.destroy();
} else {
    console.error('usage: speed.mjs articles ARCD N LINE | queries URL ARCD N [suggest]');
    process.exit(2);
}

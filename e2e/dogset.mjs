// A generated DogSet-like folder for the browser tests (PNG images written here, no fixtures).
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { serve, open } from './lib.mjs';

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => (bytes.reduce((c, b) => CRC[(c ^ b) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;

/** A PNG of `side` x `side` RGB pixels from `pixel(x, y)`. */
export function png(side, pixel) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = [];
  for (let y = 0; y < side; y++) rows.push(Buffer.from([0, ...Array.from({ length: side }, (_, x) => pixel(x, y)).flat()]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A DogSet-like folder: 12 good rows (one image 32x32), and four broken ones. */
export function dogsetFolder() {
  const root = join(mkdtempSync(join(tmpdir(), 'nnlab-dogset-')), 'MyDogSet');
  mkdirSync(join(root, 'images'), { recursive: true });
  let csv = 'filename,numeric_label,semantic_label,partition\n';
  for (let i = 0; i < 12; i++) {
    const [label, name] = i % 2 ? [1, 'poodle'] : [0, 'beagle'];
    csv += `dog${i}.png,${label},${name},${['train', 'train', 'valid', 'test'][i % 4]}\n`;
    writeFileSync(join(root, 'images', `dog${i}.png`), png(i === 5 ? 32 : 64, (x, y) => [x * 4, y * 4, i * 20]));
  }
  csv += 'missing.png,0,beagle,train\nbroken.png,1,poodle,valid\nodd.png,1,beagle,train\nx.png,0,beagle,holdout\n';
  writeFileSync(join(root, 'images', 'broken.png'), 'not a png');
  writeFileSync(join(root, 'dogs.csv'), csv);
  return root;
}

/** The generated DogSet (its 12 good rows: 6 train, 3 valid, 3 test) converted with `nnlab data
 * dogs` into a copy of dist/, served under /course/ and opened at the DogSet lab on the CPU;
 * runs `body` with { page, errors } and removes everything afterwards. */
export async function withHostedDogSet(body) {
  const target = process.env.CARGO_TARGET_DIR ?? `${process.env.HOME}/.cache/nnlab/target`;
  const nnlab = `${target}/release/nnlab`;
  assert.ok(existsSync(nnlab), `${nnlab} is built by the native tests`);
  const folder = dogsetFolder();
  const dist = mkdtempSync(join(tmpdir(), 'nnlab-hosted-'));
  cpSync('dist', dist, { recursive: true });
  execFileSync(nnlab, ['data', 'dogs', folder, '--out', join(dist, 'data')]);
  const server = await serve('/course/', dist);
  const { page, errors, close } = await open(server.url + '?backend=cpu#dogs');
  try {
    await body({ page, errors });
  } finally {
    await close();
    server.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
}

import type { Checkpoint, InclusionProof, PublicKey } from './audit-api';
import { checkProof, checkpointBody, leafHash, nodeHash, rootFromPath, toHex } from './proof';

const subtle = globalThis.crypto.subtle;

/** RFC 9162 §2.1.1: the tree head of `leaves` (leaf hashes), by its recursive definition. */
async function mth(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) {
    return leaves[0];
  }
  let k = 1;
  while (k * 2 < leaves.length) {
    k *= 2;
  }
  return nodeHash(subtle, await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.1: the audit path of leaf `m`, by its recursive definition. */
async function path(m: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length === 1) {
    return [];
  }
  let k = 1;
  while (k * 2 < leaves.length) {
    k *= 2;
  }
  return m < k
    ? [...(await path(m, leaves.slice(0, k))), await mth(leaves.slice(k))]
    : [...(await path(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}

function pem(spki: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(spki)));
  return `-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----\n`;
}

async function signed(
  root: Uint8Array,
  size: number,
): Promise<{ checkpoint: Checkpoint; keys: PublicKey[] }> {
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const unsigned: Checkpoint = {
    origin: 'trueport.test',
    tree_size: size,
    root_hash: toHex(root),
    timestamp: '2026-12-07T10:00:00Z',
    key_id: 'k1',
    signature: '',
  };
  const signature = await subtle.sign(
    { name: 'Ed25519' },
    pair.privateKey,
    new TextEncoder().encode(checkpointBody(unsigned)),
  );
  const checkpoint = { ...unsigned, signature: btoa(String.fromCharCode(...new Uint8Array(signature))) };
  const keys = [{ key_id: 'k1', pem: pem(await subtle.exportKey('spki', pair.publicKey)), current: true }];
  return { checkpoint, keys };
}

describe('inclusion proofs', () => {
  const texts = ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}', '{"e":5}', '{"f":6}', '{"g":7}'];

  it('leads every leaf of trees of 1 to 7 leaves to the tree head', async () => {
    for (let size = 1; size <= texts.length; size++) {
      const leaves = await Promise.all(texts.slice(0, size).map((t) => leafHash(subtle, t)));
      const head = toHex(await mth(leaves));
      for (let m = 0; m < size; m++) {
        const root = await rootFromPath(subtle, m, size, leaves[m], await path(m, leaves));
        expect(root && toHex(root)).toBe(head);
      }
    }
  });

  it('refuses a path of another leaf, a wrong index or a short path', async () => {
    const leaves = await Promise.all(texts.slice(0, 5).map((t) => leafHash(subtle, t)));
    const head = toHex(await mth(leaves));
    const second = await path(1, leaves);
    const other = await rootFromPath(subtle, 2, 5, leaves[2], second);
    expect(other && toHex(other)).not.toBe(head);
    expect(await rootFromPath(subtle, 5, 5, leaves[1], second)).toBeNull();
    expect(await rootFromPath(subtle, 1, 5, leaves[1], second.slice(1))).toBeNull();
  });

  it('checks an event against a signed checkpoint, and notices a changed event or signature', async () => {
    const leaves = await Promise.all(texts.slice(0, 6).map((t) => leafHash(subtle, t)));
    const { checkpoint, keys } = await signed(await mth(leaves), 6);
    const proof: InclusionProof = {
      event_id: 'e3',
      leaf_index: 3,
      tree_size: 6,
      leaf_hash: toHex(leaves[3]),
      audit_path: (await path(3, leaves)).map(toHex),
      checkpoint,
    };
    expect(await checkProof(subtle, { leaf: texts[3] }, proof, keys)).toEqual({
      leafMatches: true,
      rootMatches: true,
      signature: 'valid',
    });
    const changed = await checkProof(subtle, { leaf: '{"d":5}' }, proof, keys);
    expect(changed.leafMatches).toBe(false);
    expect(changed.rootMatches).toBe(false);
    const forged = { ...proof, checkpoint: { ...checkpoint, tree_size: 7 } };
    expect((await checkProof(subtle, { leaf: texts[3] }, forged, keys)).signature).toBe('invalid');
    expect((await checkProof(subtle, { leaf: texts[3] }, proof, [])).signature).toBe('unknown-key');
  });
});

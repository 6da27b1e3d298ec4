import type { AuditEvent, Checkpoint, InclusionProof, PublicKey } from './audit-api';

/**
 * Checking an inclusion proof in the browser, as `trueport audit verify` does offline (RFC 9162):
 * the leaf hash is SHA-256(0x00 || leaf), an interior node SHA-256(0x01 || left || right); walking the
 * audit path from the leaf must end at the checkpoint's root hash, and the checkpoint's Ed25519
 * signature must verify with the installation's published public key.
 */

export interface ProofCheck {
  /** The event's own text hashes to the leaf hash the proof starts from. */
  leafMatches: boolean;
  /** The audit path leads from that leaf to the checkpoint's root hash. */
  rootMatches: boolean;
  /** The checkpoint's signature: valid, invalid, by a key not published, or not checkable here. */
  signature: 'valid' | 'invalid' | 'unknown-key' | 'unsupported';
}

const encoder = new TextEncoder();

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) {
    throw new Error('not hex');
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function sha256(subtle: SubtleCrypto, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest('SHA-256', data));
}

export function leafHash(subtle: SubtleCrypto, leaf: string): Promise<Uint8Array> {
  return sha256(subtle, concat(new Uint8Array([0]), encoder.encode(leaf)));
}

export function nodeHash(subtle: SubtleCrypto, left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(subtle, concat(new Uint8Array([1]), left, right));
}

/** The root the audit path leads to from leaf `index` of a tree of `size` leaves; null if it cannot. */
export async function rootFromPath(
  subtle: SubtleCrypto,
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (index < 0 || index >= size || path.some((p) => p.length !== 32)) {
    return null;
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) {
      return null;
    }
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(subtle, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(subtle, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** The message a checkpoint's signature covers (`trueport-audit-checkpoint/1`, one field a line). */
export function checkpointBody(checkpoint: Checkpoint): string {
  const lines = [
    'trueport-audit-checkpoint/1',
    checkpoint.origin,
    String(checkpoint.tree_size),
    checkpoint.root_hash,
    checkpoint.timestamp,
    checkpoint.key_id,
  ];
  return lines.map((line) => `${line}\n`).join('');
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export async function checkSignature(
  subtle: SubtleCrypto,
  checkpoint: Checkpoint,
  keys: readonly PublicKey[],
): Promise<ProofCheck['signature']> {
  const key = keys.find((k) => k.key_id === checkpoint.key_id);
  if (key === undefined) {
    return 'unknown-key';
  }
  try {
    const imported = await subtle.importKey('spki', pemBody(key.pem), { name: 'Ed25519' }, false, ['verify']);
    const signature = Uint8Array.from(atob(checkpoint.signature), (c) => c.charCodeAt(0));
    const valid = await subtle.verify(
      { name: 'Ed25519' },
      imported,
      signature,
      encoder.encode(checkpointBody(checkpoint)),
    );
    return valid ? 'valid' : 'invalid';
  } catch {
    return 'unsupported'; // a browser without Ed25519 in Web Crypto
  }
}

export async function checkProof(
  subtle: SubtleCrypto,
  event: Pick<AuditEvent, 'leaf'>,
  proof: InclusionProof,
  keys: readonly PublicKey[],
): Promise<ProofCheck> {
  const leaf = await leafHash(subtle, event.leaf);
  const leafMatches = toHex(leaf) === proof.leaf_hash.toLowerCase();
  let rootMatches = false;
  try {
    const root = await rootFromPath(
      subtle,
      proof.leaf_index,
      proof.tree_size,
      leaf,
      proof.audit_path.map(fromHex),
    );
    rootMatches = root !== null && toHex(root) === proof.checkpoint.root_hash.toLowerCase();
  } catch {
    rootMatches = false;
  }
  return { leafMatches, rootMatches, signature: await checkSignature(subtle, proof.checkpoint, keys) };
}

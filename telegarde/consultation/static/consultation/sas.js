// The short authentication string, as telegarde/consultation/sas.py computes it: both
// DTLS fingerprints of the connection, sorted, bound to the room, hashed with SHA-256;
// the first four bytes pick four words, the next four give six digits.
const VERSION = "telegarde-sas-v1";

export function normaliseFingerprint(algorithm, value) {
  return `${algorithm.trim().toLowerCase()} ${value.trim().toUpperCase()}`;
}

export async function sasForFingerprints(roomId, first, second, words) {
  const [low, high] = [first, second].sort();
  const input = new TextEncoder().encode([VERSION, roomId, low, high].join("\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  const number = new DataView(digest.buffer).getUint32(4) % 1000000;
  return {
    words: Array.from(digest.slice(0, 4), (byte) => words[byte]),
    digits: String(number).padStart(6, "0"),
  };
}

// The fingerprints actually used by a connected RTCPeerConnection, read from its stats.
export async function connectionFingerprints(pc) {
  const stats = await pc.getStats();
  let transport = null;
  stats.forEach((report) => {
    if (report.type === "transport" && report.dtlsState === "connected") transport = report;
  });
  if (!transport || !transport.localCertificateId || !transport.remoteCertificateId) return null;
  const local = stats.get(transport.localCertificateId);
  const remote = stats.get(transport.remoteCertificateId);
  if (!local || !remote) return null;
  return {
    local: normaliseFingerprint(local.fingerprintAlgorithm, local.fingerprint),
    remote: normaliseFingerprint(remote.fingerprintAlgorithm, remote.fingerprint),
  };
}

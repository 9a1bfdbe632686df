// The consultation room: waiting room, then a WebRTC call with its short authentication
// string (SAS), chat, device choice, and the degraded modes (audio only, then phone).
// Signalling goes through the room's WebSocket; media goes peer to peer (or via TURN).
import { connectionFingerprints, sasForFingerprints } from "./sas.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const text = document.getElementById("room-text").dataset;
const $ = (id) => document.getElementById(id);
const lead = config.role === "practitioner";

let socket = null;
let reconnectDelay = 500;
let ended = false;
let localStream = null;
let mediaPromise = null;
let audioOnly = Boolean(config.audioOnly);
let videoTimer = null;
let lastState = null;
const peers = new Map(); // participant id -> { pc, queued: [], sas, reported }

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function show(id, visible) {
  const element = $(id);
  if (element) element.hidden = !visible;
}

// --- signalling socket, reconnected with back-off -----------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${config.socket}`);
  socket.addEventListener("open", () => {
    reconnectDelay = 500;
    $("connection").textContent = "";
  });
  socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  socket.addEventListener("close", (event) => {
    if (ended) return;
    if (event.code === 4403) return refused();
    if (event.code === 4410) return finish("hangup");
    if (event.code === 4409) return stopped(text.superseded);
    if (event.code === 4425) return stopped(text.tooEarly);
    $("connection").textContent = text.reconnecting;
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 10000);
  });
}

async function handle(message) {
  switch (message.type) {
    case "state": return onState(message);
    case "offer": return onOffer(message.from, message.description);
    case "answer": return onAnswer(message.from, message.description);
    case "candidate": return onCandidate(message.from, message.candidate);
    case "chat": return onChat(message);
    case "fingerprint_mismatch": return securityAlert();
    case "refused": return refused();
    case "superseded": return stopped(text.superseded);
    case "ended": return finish(message.reason);
    case "error": console.warn("signalling error", message.field, message.message); return;
    default: return;
  }
}

// --- waiting room and lobby ----------------------------------------------------------

function onState(state) {
  lastState = state;
  const me = state.you;
  if (state.room.mode === "phone") onPhoneMode();
  // The other side chose audio only: follow, so both renegotiate the same way.
  else if (state.room.mode === "audio" && !audioOnly && localStream) toAudioOnly(false);
  show("waiting", me.state === "waiting");
  if (me.state === "waiting") {
    $("waiting-position").textContent = text.position.replace("%(n)s", state.position ?? "…");
    $("waiting-practitioner").textContent = text[state.practitioner] || "";
  }
  if (lead) renderLobby(state.participants.filter((p) => p.state === "waiting" && p.online));
  if (me.state !== "admitted") return;
  show("call", true);
  const others = state.participants.filter((p) => p.id !== me.id && p.state === "admitted" && p.online);
  for (const [id, peer] of peers) {
    const still = state.participants.find((p) => p.id === id);
    if (!still || still.state === "left") closePeer(id, peer);
  }
  if (others.length) startCall(others.map((p) => p.id));
}

function renderLobby(waiting) {
  const list = $("lobby-list");
  list.replaceChildren();
  if (!waiting.length) {
    const item = document.createElement("li");
    item.textContent = text.nobody;
    list.append(item);
    return;
  }
  for (const person of waiting) {
    const item = document.createElement("li");
    item.textContent = `${person.name} `;
    for (const [label, type] of [[text.admit, "admit"], [text.refuse, "refuse"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.dataset.action = type;
      button.addEventListener("click", () => send({ type, participant: person.id }));
      item.append(button, " ");
    }
    list.append(item);
  }
}

// --- media ---------------------------------------------------------------------------

function ensureMedia() {
  if (!mediaPromise) mediaPromise = openMedia();
  return mediaPromise;
}

async function openMedia(constraints = { audio: true, video: !audioOnly }) {
  try {
    localStream = await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    $("connection").textContent = text.mediaError;
    localStream = new MediaStream();
  }
  $("local-video").srcObject = localStream;
  listDevices();
  return localStream;
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind] of [[$("camera"), "videoinput"], [$("microphone"), "audioinput"]]) {
    const current = localStream.getTracks().find((t) => t.kind === kind.replace("input", ""));
    const chosen = current ? current.getSettings().deviceId : "";
    select.replaceChildren(
      ...devices.filter((d) => d.kind === kind).map((d, index) => {
        const option = new Option(d.label || `${kind} ${index + 1}`, d.deviceId);
        option.selected = d.deviceId === chosen;
        return option;
      }),
    );
  }
}

async function switchDevice(kind, deviceId) {
  const constraints = kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } };
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const track = stream.getTracks()[0];
  for (const old of localStream.getTracks().filter((t) => t.kind === kind)) {
    localStream.removeTrack(old);
    old.stop();
  }
  localStream.addTrack(track);
  for (const { pc } of peers.values()) {
    const sender = pc.getSenders().find((s) => s.track && s.track.kind === kind) ||
      pc.getSenders().find((s) => !s.track);
    if (sender) await sender.replaceTrack(track);
  }
}

// --- peer connections ----------------------------------------------------------------

async function startCall(ids) {
  await ensureMedia();
  for (const id of ids) {
    if (peers.has(id)) continue;
    const peer = createPeer(id);
    // The lower identifier offers: no two offers ever cross.
    if (config.me < id) await makeOffer(id, peer);
  }
  armVideoTimer();
}

function createPeer(id) {
  const pc = new RTCPeerConnection(config.ice);
  const peer = { pc, queued: [], sas: null, reported: false, restarting: false };
  peers.set(id, peer);
  for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  if (!localStream.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
  if (!localStream.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
  pc.addEventListener("icecandidate", (event) =>
    send({ type: "candidate", to: id, candidate: event.candidate ? event.candidate.toJSON() : null }),
  );
  pc.addEventListener("track", (event) => attachRemote(id, event.streams[0] || new MediaStream([event.track])));
  pc.addEventListener("connectionstatechange", () => onConnectionState(id, peer));
  return peer;
}

async function makeOffer(id, peer, options = {}) {
  const offer = await peer.pc.createOffer(options);
  await peer.pc.setLocalDescription(offer);
  send({ type: "offer", to: id, description: { type: "offer", sdp: peer.pc.localDescription.sdp } });
}

async function onOffer(from, description) {
  await ensureMedia();
  const peer = peers.get(from) || createPeer(from);
  await peer.pc.setRemoteDescription(description);
  await flushCandidates(peer);
  const answer = await peer.pc.createAnswer();
  await peer.pc.setLocalDescription(answer);
  send({ type: "answer", to: from, description: { type: "answer", sdp: peer.pc.localDescription.sdp } });
}

async function onAnswer(from, description) {
  const peer = peers.get(from);
  if (!peer) return;
  await peer.pc.setRemoteDescription(description);
  await flushCandidates(peer);
}

async function onCandidate(from, candidate) {
  const peer = peers.get(from);
  if (!peer || !candidate) return;
  if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(candidate).catch(() => {});
  else peer.queued.push(candidate);
}

async function flushCandidates(peer) {
  for (const candidate of peer.queued.splice(0)) await peer.pc.addIceCandidate(candidate).catch(() => {});
}

function onConnectionState(id, peer) {
  const state = peer.pc.connectionState;
  if (state === "connected") {
    peer.restarting = false;
    clearTimeout(videoTimer);
    show("fallback", false);
    verify(id, peer);
  } else if (state === "failed" || state === "disconnected") {
    // Network change: an ICE restart from the offering side finds a new path.
    setTimeout(() => {
      if (peer.pc.connectionState === state && config.me < id && !peer.restarting) {
        peer.restarting = true;
        makeOffer(id, peer, { iceRestart: true });
      }
    }, state === "failed" ? 0 : 3000);
  }
}

function attachRemote(id, stream) {
  let video = document.querySelector(`video[data-peer="${id}"]`);
  if (!video) {
    video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.peer = id;
    $("remotes").append(video);
  }
  if (video.srcObject !== stream) video.srcObject = stream;
}

function closePeer(id, peer) {
  peer.pc.close();
  peers.delete(id);
  document.querySelector(`video[data-peer="${id}"]`)?.remove();
  document.querySelector(`li[data-sas-peer="${id}"]`)?.remove();
}

// --- verification: fingerprints to the server, SAS to the people ---------------------

async function verify(id, peer) {
  let fingerprints = null;
  for (let attempt = 0; attempt < 20 && !fingerprints; attempt += 1) {
    fingerprints = await connectionFingerprints(peer.pc);
    if (!fingerprints) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!fingerprints) return;
  if (!peer.reported) {
    peer.reported = true;
    send({ type: "fingerprints", peer: id, local: fingerprints.local, remote: fingerprints.remote });
  }
  peer.sas = await sasForFingerprints(config.room, fingerprints.local, fingerprints.remote, config.words);
  renderSas(id, peer.sas);
}

function renderSas(id, sas) {
  const name = lastState?.participants.find((p) => p.id === id)?.name || "";
  let item = document.querySelector(`li[data-sas-peer="${id}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.sasPeer = id;
    $("sas-list").append(item);
  }
  item.replaceChildren();
  const words = document.createElement("strong");
  words.className = "sas-words";
  words.textContent = sas.words.join(" · ");
  const digits = document.createElement("span");
  digits.className = "sas-digits";
  digits.textContent = sas.digits;
  item.append(`${name} : `, words, " — ", digits);
  show("sas", true);
}

function securityAlert() {
  const banner = $("security-alert");
  banner.textContent = text.mismatch;
  banner.hidden = false;
}

// --- degraded modes ------------------------------------------------------------------

function armVideoTimer() {
  clearTimeout(videoTimer);
  videoTimer = setTimeout(() => {
    if ([...peers.values()].some((p) => p.pc.connectionState === "connected")) return;
    $("fallback-reason").textContent = audioOnly ? text.audioFailed : text.videoFailed;
    show("fallback", true);
    show("to-audio", !audioOnly);
    if (audioOnly) {
      show("phone-step", true);
      if (!lead) {
        $("fallback-patient").textContent = text.phonePatient;
        show("fallback-patient", true);
      }
    }
  }, config.videoTimeout * 1000);
}

async function toAudioOnly(announce = true) {
  audioOnly = true;
  if (announce) send({ type: "fallback", step: "audio", reason: "timeout" });
  for (const track of localStream.getVideoTracks()) {
    track.stop();
    localStream.removeTrack(track);
  }
  for (const [id, peer] of peers) {
    for (const sender of peer.pc.getSenders()) if (sender.track === null || sender.track.kind === "video") await sender.replaceTrack(null);
    if (config.me < id) await makeOffer(id, peer, { iceRestart: true });
  }
  show("fallback", false);
  armVideoTimer();
}

function onPhoneMode() {
  clearTimeout(videoTimer);
  $("fallback-reason").textContent = text.phoneDone;
  show("fallback", true);
  show("to-audio", false);
  show("to-phone", false);
}

// --- end -----------------------------------------------------------------------------

function hangUp() {
  for (const [id, peer] of peers) closePeer(id, peer);
  localStream?.getTracks().forEach((track) => track.stop());
}

function finish(reason) {
  ended = true;
  hangUp();
  show("call", false);
  show("waiting", false);
  show("ended", true);
  $("ended-reason").textContent = reason === "sas_mismatch" ? text.endedSas : text.ended;
  socket?.close();
}

function stopped(message) {
  ended = true;
  hangUp();
  show("waiting", false);
  show("call", false);
  $("connection").textContent = message;
}

function refused() {
  ended = true;
  hangUp();
  show("waiting", false);
  show("call", false);
  $("refused").textContent = text.refused;
  show("refused", true);
}

// --- controls and forms --------------------------------------------------------------

function toggleTracks(kind, button, onLabel, offLabel) {
  const tracks = localStream ? localStream.getTracks().filter((t) => t.kind === kind) : [];
  const enable = tracks.some((t) => !t.enabled);
  tracks.forEach((t) => { t.enabled = enable; });
  button.textContent = enable ? onLabel : offLabel;
  button.setAttribute("aria-pressed", String(!enable));
}

async function postForm(form, status, success) {
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  status.textContent = response.ok
    ? success
    : Object.values(body.errors || {}).flat().map((e) => (typeof e === "string" ? e : e.message)).join(" ");
  if (response.ok && form.id === "invite-form") form.reset();
}

$("mute").addEventListener("click", (e) => toggleTracks("audio", e.currentTarget, text.unmuted, text.muted));
$("camera-toggle").addEventListener("click", (e) => toggleTracks("video", e.currentTarget, text.cameraOn, text.cameraOff));
$("camera").addEventListener("change", (e) => switchDevice("video", e.target.value));
$("microphone").addEventListener("change", (e) => switchDevice("audio", e.target.value));
$("hangup").addEventListener("click", () => {
  if (lead) send({ type: "hangup" });
  else finish("left");
});
$("to-audio").addEventListener("click", () => toAudioOnly());
$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("chat-text");
  if (input.value.trim()) send({ type: "chat", text: input.value });
  input.value = "";
});
if (lead) {
  $("sas-match").addEventListener("click", () => {
    send({ type: "sas", result: "match" });
    $("sas-result").textContent = "✓";
  });
  $("sas-different").addEventListener("click", () => send({ type: "sas", result: "different" }));
  $("to-phone")?.addEventListener("click", () => send({ type: "fallback", step: "phone", reason: "choice" }));
  for (const [formId, statusId, message] of [["note-form", "note-status", text.saved], ["invite-form", "invite-status", text.invited]]) {
    $(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      postForm(event.currentTarget, $(statusId), message);
    });
  }
}

function onChat(message) {
  const item = document.createElement("li");
  const author = document.createElement("strong");
  author.textContent = message.author;
  item.append(author, ` : ${message.text}`);
  $("chat-log").append(item);
}

// For tests and support: the bytes received on every call leg, read from getStats.
window.telegardeCall = {
  async inboundBytes() {
    let total = 0;
    for (const { pc } of peers.values()) {
      (await pc.getStats()).forEach((report) => {
        if (report.type === "inbound-rtp") total += report.bytesReceived || 0;
      });
    }
    return total;
  },
  sas: () => [...peers.values()].map((p) => p.sas),
  // The candidate types ("host", "srflx", "relay") of each leg's selected pair.
  async selectedCandidateTypes() {
    const types = [];
    for (const { pc } of peers.values()) {
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type === "transport" && report.selectedCandidatePairId) {
          const pair = stats.get(report.selectedCandidatePairId);
          types.push([stats.get(pair.localCandidateId)?.candidateType, stats.get(pair.remoteCandidateId)?.candidateType]);
        }
      });
    }
    return types;
  },
};

connect();
setInterval(() => send({ type: "ping" }), 25000);

/**
 * Drives the real Profanity 0.13.1 (Debian `profanity`, OMEMO via libsignal-protocol-c) headless in tmux,
 * as an independent OMEMO 0.3 peer for interop tests. Each client gets its own HOME (temp dir) and its own
 * tmux session on a private tmux server socket; we type commands with `send-keys -l` and read the screen
 * with `capture-pane`.
 *
 * Screen facts this relies on (Profanity 0.13.1, checked by hand):
 * - connect:   "… logged in successfully, …"      / failure: "Login failed."
 * - /omemo gen: "Your Device ID is 123."  then "Going to publish own device ID: 123" (no devicelist yet)
 * - /omemo fingerprint: "Your OMEMO fingerprint: xxxxxxxx-…-xxxxxxxx" (8 groups of 8 hex = 32-byte identity key)
 * - chat window title: " peer@host [online] [OMEMO]" once /omemo start succeeded
 * - message lines: "HH:MM:SS ~ me: text" (sent, OMEMO), "HH:MM:SS ~ peer@host/res: text" (received, decrypted);
 *   "-" instead of "~" means plaintext. An OMEMO message Profanity cannot decrypt shows only its <body>
 *   fallback as plaintext ("-"), or nothing at all without a body; the log then says
 *   "[OMEMO][RECV] cannot decrypt message key" (see waitForLog).
 * - send failure: "! This message cannot be decrypted for any recipient." / "! Can't find a OMEMO device id for …"
 * - rooms: "/join ROOM nick NICK" answers "! -> You have joined the room as NICK, role: …, affiliation: …"; the room
 *   window's title row shows "[OMEMO]" after "/omemo start" typed in it (the room must be non-anonymous; members-only
 *   private groups as Conversations makes them work); room lines are "HH:MM:SS ~ NICK: text", our own with our nick.
 * Profanity draws on tmux's alternate screen, so tmux keeps NO scrollback: only the 50 visible rows
 * (minus title, status and input rows) of the CURRENT window can be searched. Incoming messages for another
 * window do not show until that window is focused (openChat/startOmemo focus the peer's window).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { TestXmppServer } from './xmpp-server.js';
import { RawXmpp, configurePepNode, createPepNode, pepItems } from './xmpp-raw.js';

const run = promisify(execFile);

/** Every wait is bounded; the brief for these tests: generous, but at most 20 s each. */
const DEFAULT_WAIT_MS = 20_000;
const POLL_MS = 100;

export const OMEMO_DEVICELIST_NODE = 'eu.siacs.conversations.axolotl.devicelist';
export const omemoBundleNode = (deviceId: number): string => `eu.siacs.conversations.axolotl.bundles:${deviceId}`;

/**
 * One private tmux server per client (socket named like the session, no config file): tests never touch
 * anybody's own tmux sessions, and parallel test files never race a shared server that is shutting down.
 */
async function tmux(session: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('tmux', ['-L', session, '-f', '/dev/null', ...args], { timeout: 10_000 });
  return stdout;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProfanityStartOptions {
  jid: string;
  password: string;
  host: string;
  port: number;
  /** Profanity account name (and tmux session prefix); defaults to the JID's local part. */
  name?: string;
  /** XMPP resource; defaults to "profanity-<name>". */
  resource?: string;
  /** Profanity's log level (its -l option): DEBUG logs every stanza. Defaults to $PARLEY_PROFANITY_LOG, else WARN. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export class ProfanityClient {
  readonly bareJid: string;
  readonly resource: string;
  deviceId = 0;
  private socketPath = '';

  private constructor(
    readonly session: string,
    readonly home: string,
    readonly account: string,
    private readonly opts: ProfanityStartOptions,
  ) {
    this.bareJid = opts.jid;
    this.resource = opts.resource ?? `profanity-${account}`;
  }

  get fullJid(): string {
    return `${this.bareJid}/${this.resource}`;
  }

  private get target(): string {
    return `=${this.session}:`;
  }

  static async start(opts: ProfanityStartOptions): Promise<ProfanityClient> {
    const account = (opts.name ?? opts.jid.split('@')[0] ?? 'acct').replace(/[^A-Za-z0-9_-]/g, '_');
    const home = await mkdtemp(path.join(tmpdir(), `parley-profanity-${account}-`));
    const session = `prof-${account}-${randomUUID().slice(0, 8)}`;
    const client = new ProfanityClient(session, home, account, opts);
    try {
      // remain-on-exit keeps a crashed Profanity's last screen readable for the error message.
      await tmux(
        session, 'new-session', '-d', '-s', session, '-x', '200', '-y', '50',
        'env', `HOME=${home}`, 'LANG=C.UTF-8', 'LC_ALL=C.UTF-8', 'profanity', '-l', opts.logLevel ?? process.env.PARLEY_PROFANITY_LOG ?? 'WARN',
        ';', 'set-option', '-t', `=${session}:`, 'remain-on-exit', 'on',
      );
      client.socketPath = (await tmux(session, 'display-message', '-p', '-t', client.target, '#{socket_path}')).trim();
      await client.waitForScreen(/Type '\/help' to show complete help/, { what: 'Profanity start-up' });
      const a = account;
      await client.command(`/account add ${a}`);
      await client.command(`/account set ${a} jid ${opts.jid}`);
      await client.command(`/account set ${a} password ${opts.password}`);
      await client.command(`/account set ${a} server ${opts.host}`);
      await client.command(`/account set ${a} port ${opts.port}`);
      // The test Prosody has no TLS at all (mod_tls not loaded), so Profanity must not ask for it.
      await client.command(`/account set ${a} tls disable`);
      await client.command(`/account set ${a} resource ${client.resource}`);
      await client.waitForScreen(new RegExp(`Updated resource for account ${escapeRegExp(a)}`), { what: 'account set-up' });
      await client.command(`/connect ${a}`);
      await client.waitForScreen(new RegExp(`${escapeRegExp(client.fullJid)} logged in successfully`), {
        failOn: /Login failed\.|Connection attempt .* failed|Could not connect/,
        what: 'login',
      });
      return client;
    } catch (e) {
      await client.stop().catch(() => {});
      throw e;
    }
  }

  /** Types one line into Profanity's input line and presses Enter. `-l` so nothing is read as a tmux key name. */
  async command(line: string): Promise<void> {
    await tmux(this.session, 'send-keys', '-t', this.target, '-l', line);
    await tmux(this.session, 'send-keys', '-t', this.target, 'Enter');
  }

  /** The visible screen (Profanity uses the alternate screen: tmux keeps no scrollback, -S is only a safety net). */
  async screen(): Promise<string> {
    return tmux(this.session, 'capture-pane', '-p', '-J', '-S', '-2000', '-t', this.target);
  }

  /** Profanity's own log file ($HOME/.local/share/profanity/logs/profanity.log): OMEMO errors land here. */
  async log(): Promise<string> {
    return readFile(path.join(this.home, '.local/share/profanity/logs/profanity.log'), 'utf8').catch(() => '');
  }

  private async describe(what: string, timeoutMs: number, failed = false): Promise<string> {
    const screen = await this.screen().catch((e: unknown) => `(no screen: ${String(e)})`);
    const trimmed = screen.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').join('\n');
    const logTail = (await this.log()).split('\n').slice(-15).join('\n');
    const outcome = failed ? 'failed: a failure marker appeared on screen' : `not seen within ${timeoutMs} ms`;
    return `Profanity ${this.fullJid} [tmux -L ${this.session}]: ${what} ${outcome}.\n--- screen ---\n${trimmed}\n--- profanity.log (tail) ---\n${logTail}`;
  }

  /**
   * Polls the screen until `pattern` matches (returns the match). Fails early when `failOn` matches, and
   * always with the last screen (and the log tail) in the error message.
   */
  async waitForScreen(
    pattern: RegExp | ((screen: string) => string[] | null),
    opts: { timeoutMs?: number; failOn?: RegExp | ((screen: string) => boolean); what?: string } = {},
  ): Promise<string[]> {
    const timeoutMs = Math.min(opts.timeoutMs ?? DEFAULT_WAIT_MS, DEFAULT_WAIT_MS);
    const what = opts.what ?? String(pattern);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen().catch(() => '');
      const m = typeof pattern === 'function' ? pattern(screen) : screen.match(pattern);
      if (m) return m;
      const failed = typeof opts.failOn === 'function' ? opts.failOn(screen) : opts.failOn?.test(screen);
      if (failed) throw new Error(await this.describe(what, timeoutMs, true));
      if (Date.now() > deadline) throw new Error(await this.describe(what, timeoutMs));
      await sleep(POLL_MS);
    }
  }

  /**
   * Waits until `text` is on the screen. Lines Profanity wrapped at 200 columns are also matched
   * (continuation rows are indented), so long messages work.
   */
  async waitForText(text: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.waitForScreen((screen) => {
      const unwrapped = screen.replace(/\s*\n\s*/g, ' ');
      return screen.includes(text) || unwrapped.includes(text) ? [text] : null;
    }, { timeoutMs, what: `text ${JSON.stringify(text)}` });
  }

  /**
   * Focuses the chat with `fromBareJid` and waits for a received line `HH:MM:SS ~ from/res: text`. `encrypted` (default
   * true) requires Profanity's OMEMO marker "~" (plaintext lines carry "-"), i.e. that Profanity decrypted it.
   */
  async waitForMessage(fromBareJid: string, text: string, opts: { encrypted?: boolean; timeoutMs?: number } = {}): Promise<void> {
    // Messages land in the sender's chat window, which is only on screen when focused.
    await this.openChat(fromBareJid);
    const marker = opts.encrypted === false ? '-' : '~';
    const re = new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${escapeRegExp(marker)} ${escapeRegExp(fromBareJid)}(/\\S+)?: ${escapeRegExp(text)}`, 'm');
    await this.waitForScreen(re, { timeoutMs: opts.timeoutMs, what: `message ${marker} ${fromBareJid}: ${JSON.stringify(text)}` });
  }

  /** Waits until Profanity's log file contains `text` (e.g. "[OMEMO][RECV] cannot decrypt message key"). */
  async waitForLog(text: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const limit = Math.min(timeoutMs, DEFAULT_WAIT_MS);
    const deadline = Date.now() + limit;
    while (!(await this.log()).includes(text)) {
      if (Date.now() > deadline) throw new Error(await this.describe(`log line ${JSON.stringify(text)}`, limit));
      await sleep(POLL_MS);
    }
  }

  /**
   * Generates the OMEMO identity, sets blind trust, reads device id and fingerprint, and waits until the server
   * really holds the device in the devicelist and a bundle. Then the bundle node is made open (Profanity publishes
   * it without publish-options, so Prosody gives it the default presence access model; peers that are not
   * mutual contacts — like a fresh Parley account — could not fetch it). Run prepareOmemoAccount first.
   * The fingerprint is returned as 64 lowercase hex digits (Profanity shows it in 8 dash-separated groups).
   */
  async omemoSetup(opts: { openBundle?: boolean } = {}): Promise<{ deviceId: number; fingerprint: string }> {
    await this.command('/omemo gen');
    const gen = await this.waitForScreen(/Your Device ID is (\d+)\./, {
      failOn: /OMEMO crytographic materials have already been generated/,
      what: 'OMEMO key generation',
    });
    const deviceId = Number(gen[1]);
    this.deviceId = deviceId;
    await this.command('/omemo trustmode blind');
    await this.waitForText('ALL OMEMO fingerprints will be trusted automatically');
    await this.command('/omemo fingerprint');
    const fp = await this.waitForScreen(/Your OMEMO fingerprint: ([0-9a-f]{8}(?:-[0-9a-f]{8}){7})/, { what: 'own OMEMO fingerprint' });
    const fingerprint = (fp[1] ?? '').replace(/-/g, '');
    await this.waitForPublished(deviceId, opts.openBundle ?? true);
    return { deviceId, fingerprint };
  }

  /** Polls the server (a raw session of the same account) until devicelist and bundle of `deviceId` are there. */
  private async waitForPublished(deviceId: number, openBundle: boolean): Promise<void> {
    const raw = await RawXmpp.login({ host: this.opts.host, port: this.opts.port, jid: this.bareJid, password: this.opts.password });
    try {
      const deadline = Date.now() + DEFAULT_WAIT_MS;
      let last = '';
      for (;;) {
        try {
          const list = await pepItems(raw, this.bareJid, OMEMO_DEVICELIST_NODE);
          const ids = list.flatMap((i) => i.children.flatMap((l) => l.children.map((d) => Number(d.attrs.id))));
          if (ids.includes(deviceId)) {
            const bundle = await pepItems(raw, this.bareJid, omemoBundleNode(deviceId));
            if (bundle.length > 0) break;
            last = 'bundle node empty';
          } else {
            last = `devicelist holds [${ids.join(', ')}]`;
          }
        } catch (e) {
          last = String(e);
        }
        if (Date.now() > deadline) {
          throw new Error(await this.describe(`server-side OMEMO publication of device ${deviceId} (last: ${last})`, DEFAULT_WAIT_MS));
        }
        await sleep(200);
      }
      // Profanity 0.13.1 publishes its bundle twice at start: without publish-options (the server's default, presence)
      // and, once it knows the server's features, with access_model=open, which a server refuses for the node the first
      // publish created (precondition-not-met). Which comes first varies with load (seen on ejabberd 23.01), so the
      // access model is set here, either way, for a test that does not depend on that race.
      await configurePepNode(raw, omemoBundleNode(deviceId), { 'pubsub#access_model': openBundle ? 'open' : 'presence' });
    } finally {
      await raw.close();
    }
  }

  /**
   * Waits until Profanity holds the identity key `fingerprint` (64 hex digits) for a device of `peerJid`, i.e. it fetched
   * and processed that device's bundle (`/omemo start` does so asynchronously; a message typed before then is not
   * encrypted for the device). Asks `/omemo fingerprint JID` again every half second; output lands in the current window.
   */
  async waitForPeerFingerprint(peerJid: string, fingerprint: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const grouped = (fingerprint.toLowerCase().match(/.{8}/g) ?? []).join('-');
    const re = new RegExp(`${escapeRegExp(peerJid)}'s OMEMO fingerprint: ${grouped}`);
    const limit = Math.min(timeoutMs, DEFAULT_WAIT_MS);
    const deadline = Date.now() + limit;
    for (;;) {
      await this.command(`/omemo fingerprint ${peerJid}`);
      const askedAt = Date.now();
      while (Date.now() - askedAt < 500) {
        if (re.test(await this.screen().catch(() => ''))) return;
        await sleep(POLL_MS);
      }
      if (Date.now() > deadline) throw new Error(await this.describe(`fingerprint ${grouped} of ${peerJid}`, limit));
    }
  }

  /** Focuses (opening if needed) the chat window with `peerJid`, so its messages are on screen. */
  async openChat(peerJid: string): Promise<void> {
    await this.command(`/msg ${peerJid}`);
    // The window title (first row) starts with the peer's JID (no roster names in these tests).
    await this.waitForScreen(new RegExp(`^ ${escapeRegExp(peerJid)} \\[`), { what: `chat window with ${peerJid}` });
  }

  /** Opens the chat window with `peerJid` and switches it to OMEMO (title shows "[OMEMO]"). */
  async startOmemo(peerJid: string): Promise<void> {
    await this.openChat(peerJid);
    await this.command(`/omemo start ${peerJid}`);
    await this.waitForScreen(new RegExp(`^ ${escapeRegExp(peerJid)} \\[[^\\]]*\\] \\[OMEMO\\]`), {
      what: `OMEMO enabled in the chat window with ${peerJid}`,
    });
  }

  /**
   * Sends `text` in the chat window with `peerJid` (with whatever encryption that window has: startOmemo first
   * for OMEMO) and waits for Profanity's own echo line "me: text". Fails on Profanity's OMEMO send errors.
   * The text must be a single line and must not start with "/" (Profanity would read it as a command).
   */
  async send(peerJid: string, text: string): Promise<void> {
    if (text.includes('\n') || text.startsWith('/')) throw new Error('ProfanityClient.send: single line, not starting with "/"');
    await this.openChat(peerJid);
    const echo = new RegExp(`^\\d\\d:\\d\\d:\\d\\d . me: ${escapeRegExp(text)}\\s*$`, 'gm');
    const failure = /^\d\d:\d\d:\d\d ! (This message cannot be decrypted for any recipient|Can't find a OMEMO device id)/gm;
    const initial = await this.screen();
    const before = (initial.match(echo) ?? []).length;
    const failuresBefore = (initial.match(failure) ?? []).length;
    await this.command(text);
    await this.waitForScreen((screen) => {
      const all = screen.match(echo) ?? [];
      if (all.length > before) return all;
      // The window may have scrolled the earlier copy away: then the echo is the last message line.
      const lines = screen.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
      const lastLine = lines[lines.length - 1] ?? '';
      return before > 0 && new RegExp(echo.source).test(lastLine) ? [lastLine] : null;
    }, {
      what: `own echo of ${JSON.stringify(text)}`,
      failOn: (screen) => (screen.match(failure) ?? []).length > failuresBefore,
    });
  }

  // --- rooms (XEP-0045) -----------------------------------------------------------------------------------------

  /** Our nick per room joined with joinRoom. */
  private readonly roomNicks = new Map<string, string>();

  /** Joins `room` as `nick` and waits for Profanity's confirmation (its window is then focused). */
  async joinRoom(room: string, nick: string): Promise<void> {
    if (/\s/.test(nick)) throw new Error('ProfanityClient.joinRoom: a nick without spaces');
    await this.command(`/join ${room} nick ${nick}`);
    await this.waitForScreen(new RegExp(`-> You have joined the room as ${escapeRegExp(nick)}, role: \\w+`), {
      what: `join of ${room} as ${nick}`,
      failOn: /! (Error|Room join failed|You are not on the member list|Nickname conflict)/i,
    });
    this.roomNicks.set(room, nick);
  }

  /** Focuses the window of a joined room. */
  async openRoom(room: string): Promise<void> {
    const nick = this.roomNicks.get(room);
    if (!nick) throw new Error(`ProfanityClient: ${room} was not joined with joinRoom`);
    await this.command(`/win ${room}`);
    // A room window shows its join line until it scrolls away, and always the occupants panel, which chat windows lack.
    await this.waitForScreen(new RegExp(`-> You have joined the room as ${escapeRegExp(nick)},|\\sParticipants\\s*$`, 'm'), { what: `window of ${room}` });
  }

  /** Types "/omemo start" in the room's window and waits for "[OMEMO]" in its title row. */
  async startOmemoInRoom(room: string): Promise<void> {
    await this.openRoom(room);
    await this.command('/omemo start');
    await this.waitForScreen((screen) => (/\[OMEMO\]/.test(screen.split('\n')[0] ?? '') ? ['[OMEMO]'] : null), {
      what: `OMEMO enabled in the window of ${room}`,
      failOn: /MUC must be non-anonymous|! .*OMEMO.*(not|cannot|failed)/i,
    });
  }

  /**
   * Sends `text` in the room's window and waits for Profanity's own line "~ NICK: text" ("-" for plaintext: OMEMO
   * must have been started). Fails on Profanity's OMEMO send errors. Single line, not starting with "/".
   */
  async sendInRoom(room: string, text: string, opts: { encrypted?: boolean } = {}): Promise<void> {
    if (text.includes('\n') || text.startsWith('/')) throw new Error('ProfanityClient.sendInRoom: single line, not starting with "/"');
    await this.openRoom(room);
    const nick = this.roomNicks.get(room)!;
    const marker = opts.encrypted === false ? '-' : '~';
    const echo = new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${escapeRegExp(marker)} ${escapeRegExp(nick)}: ${escapeRegExp(text)}(?:\\s|$)`, 'm'); // the occupants panel may follow on the row
    const failure = /^\d\d:\d\d:\d\d ! (This message cannot be decrypted for any recipient|Can't find a OMEMO device id)/gm;
    const failuresBefore = ((await this.screen()).match(failure) ?? []).length;
    await this.command(text);
    await this.waitForScreen(echo, {
      what: `own line ${marker} ${nick}: ${JSON.stringify(text)} in ${room}`,
      failOn: (screen) => (screen.match(failure) ?? []).length > failuresBefore,
    });
  }

  /**
   * Focuses the room's window and waits for "HH:MM:SS ~ NICK: text": a room message Profanity decrypted ("-" with
   * `encrypted: false`: shown in clear, e.g. only the fallback body of a message it could not decrypt).
   */
  async waitForRoomMessage(room: string, nick: string, text: string, opts: { encrypted?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.openRoom(room);
    const marker = opts.encrypted === false ? '-' : '~';
    const re = new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${escapeRegExp(marker)} ${escapeRegExp(nick)}: ${escapeRegExp(text)}`, 'm');
    await this.waitForScreen((screen) => {
      const unwrapped = screen.replace(/\s*\n\s{2,}/g, ' ');
      return screen.match(re) ?? unwrapped.match(re);
    }, { timeoutMs: opts.timeoutMs, what: `room message ${marker} ${nick}: ${JSON.stringify(text)} in ${room}` });
  }

  /** /quit, then kill the tmux session (also if Profanity hangs) and remove the temporary HOME. */
  async stop(): Promise<void> {
    try {
      await this.command('/quit');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const dead = await tmux(this.session, 'display-message', '-p', '-t', this.target, '#{pane_dead}').catch(() => '1');
        if (dead.trim() === '1') break;
        await sleep(100);
      }
    } catch {
      /* session already gone */
    }
    await tmux(this.session, 'kill-server').catch(() => {});
    // tmux leaves its socket file behind when the server exits.
    if (this.socketPath) await rm(this.socketPath, { force: true });
    if (process.env.PARLEY_KEEP_PROFANITY_LOG) await copyFile(path.join(this.home, ".local/share/profanity/logs/profanity.log"), process.env.PARLEY_KEEP_PROFANITY_LOG).catch(() => undefined);
    await rm(this.home, { recursive: true, force: true });
  }
}

async function withRaw<T>(prosody: Pick<TestXmppServer, 'c2sPort'>, jid: string, password: string, fn: (raw: RawXmpp) => Promise<T>): Promise<T> {
  const raw = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid, password });
  try {
    return await fn(raw);
  } finally {
    await raw.close();
  }
}

/**
 * Works around Profanity 0.13.1 + Prosody 0.12: when fetching its own devicelist yields item-not-found,
 * Profanity logs "[OMEMO] can't get OMEMO device list" and never publishes. An existing (empty, open) node
 * makes it publish its device id. Call before ProfanityClient.omemoSetup for that account.
 */
export async function prepareOmemoAccount(prosody: Pick<TestXmppServer, 'c2sPort'>, jid: string, password: string): Promise<void> {
  await withRaw(prosody, jid, password, (raw) => createPepNode(raw, OMEMO_DEVICELIST_NODE, 'open'));
}

/**
 * Makes two accounts mutual contacts (roster items with subscription "both"), so presence-access PEP
 * nodes are readable between them: both sides, online, ask and then approve each other's pending request.
 * Resolves once both rosters show "both".
 */
export async function makeMutualContacts(
  prosody: Pick<TestXmppServer, 'c2sPort'>,
  a: { jid: string; password: string },
  b: { jid: string; password: string },
): Promise<void> {
  const ra = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: a.jid, password: a.password });
  const rb = await RawXmpp.login({ host: '127.0.0.1', port: prosody.c2sPort, jid: b.jid, password: b.password }).catch(async (e: unknown) => {
    await ra.close();
    throw e;
  });
  try {
    const pairs: [RawXmpp, string][] = [[ra, b.jid], [rb, a.jid]];
    // Requests first, then approvals: works without pre-approval too (ejabberd 23.01 does not offer it and drops a
    // "subscribed" that answers no pending request, RFC 6121 §3.1.3 / §3.4).
    // The two c2s sessions are not ordered with each other: an approval can overtake the request it answers, so
    // both are sent again (harmless once granted) until both rosters agree.
    const ask = () => {
      for (const [conn, peer] of pairs) conn.send(`<presence to='${peer}' type='subscribe'/>`);
      for (const [conn, peer] of pairs) conn.send(`<presence to='${peer}' type='subscribed'/>`);
    };
    ask();
    const deadline = Date.now() + DEFAULT_WAIT_MS;
    for (let round = 1; ; round++) {
      if (round % 10 === 0) ask();
      const states = await Promise.all(pairs.map(async ([conn, peer]) => {
        const res = await conn.iq(`<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`);
        const item = res.children[0]?.children.find((i) => i.attrs.jid === peer);
        return item?.attrs.subscription ?? 'none';
      }));
      if (states.every((s) => s === 'both')) return;
      if (Date.now() > deadline) throw new Error(`makeMutualContacts: subscriptions still ${states.join(' / ')} after ${DEFAULT_WAIT_MS} ms`);
      await sleep(50);
    }
  } finally {
    await ra.close();
    await rb.close();
  }
}

/**
 * Prometheus metrics of one Parley instance (prom-client, one registry per instance so that several instances
 * in one process — the tests — do not collide). Gauges are read from the session manager at scrape time;
 * counters are fed by wrapping the XMPP connection factory and the message store, so no feature code changes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GateStats } from '../xmpp/login-gate.js';
import type { Element } from '@xmpp/xml';
import { XmppConnection, type ConnectionState } from '../xmpp/connection.js';
import type { Connect } from '../xmpp/session-manager.js';
import type { MessageStore } from '../store/messages.js';

/** What the gauges read: satisfied by SessionManager. */
export interface SessionSource {
  readonly size: number;
  sessions(): ReadonlyArray<{ readonly tabCount: number }>;
}

export class ParleyMetrics {
  readonly registry = new Registry();
  private source: SessionSource | null = null;
  private gate: { stats(): GateStats } | null = null;
  /** Since start, never reset (prom-client's own nodejs_eventloop_lag_* are reset at every scrape). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  readonly accounts: Gauge;
  readonly tabs: Gauge;
  readonly reconnects: Counter<'mode'>;
  readonly stanzas: Counter<'direction'>;
  readonly storeInsert: Histogram<'outcome'>;
  readonly storeBatch: Histogram<'outcome'>;
  readonly storeBatchMessages: Counter<'outcome'>;

  constructor() {
    const registers = [this.registry];
    // Includes nodejs_eventloop_lag_seconds and the event-loop delay percentiles (perf_hooks), heap, GC, fds.
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    this.accounts = new Gauge({
      name: 'parley_logged_in_accounts',
      help: 'Accounts with a live XMPP session on this instance',
      registers,
      collect() {
        this.set(metrics.source?.size ?? 0);
      },
    });
    this.tabs = new Gauge({
      name: 'parley_open_tabs',
      help: 'Browser tabs (socket.io connections) attached to a live session',
      registers,
      collect() {
        this.set(metrics.source?.sessions().reduce((n, s) => n + s.tabCount, 0) ?? 0);
      },
    });
    this.reconnects = new Counter({
      name: 'parley_xmpp_reconnects_total',
      help: 'XMPP connections that dropped while online and started to come back (mode: resuming = XEP-0198 resumption, reconnecting = new login)',
      labelNames: ['mode'],
      registers,
    });
    this.stanzas = new Counter({
      name: 'parley_xmpp_stanzas_total',
      help: 'Stanzas sent (every send, IQ and IQ answer) and received (stanzas handed to the session plus results of our own IQs; IQ requests answered inside the connection are not counted)',
      labelNames: ['direction'],
      registers,
    });
    this.storeInsert = new Histogram({
      name: 'parley_message_store_insert_seconds',
      help: 'Time to store one message (MessageStore.insert, including duplicate detection)',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.storeBatch = new Histogram({
      name: 'parley_message_store_batch_seconds',
      help: 'Time to store one batch of messages, e.g. a MAM page (MessageStore.insertMany, including duplicate detection); outcome ok or error',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.storeBatchMessages = new Counter({
      name: 'parley_message_store_batch_messages_total',
      help: 'Messages stored through batches (MessageStore.insertMany), by outcome: inserted or duplicate',
      labelNames: ['outcome'],
      registers,
    });
    this.loopDelay.enable();
    new Gauge({
      name: 'parley_event_loop_delay_seconds',
      help: 'Event-loop delay since the process started (perf_hooks.monitorEventLoopDelay, 10 ms resolution): the longest stall and percentiles',
      labelNames: ['stat'],
      registers,
      collect() {
        const h = metrics.loopDelay;
        this.set({ stat: 'max' }, h.max / 1e9);
        for (const p of [50, 99, 99.9]) this.set({ stat: `p${p}` }, h.percentile(p) / 1e9);
      },
    });
    new Gauge({
      name: 'parley_login_gate',
      help: 'XMPP logins in the login gate (PARLEY_LOGIN_CONCURRENCY / PARLEY_LOGIN_QUEUE): in flight and waiting now',
      labelNames: ['state'],
      registers,
      collect() {
        const s = metrics.gate?.stats();
        this.set({ state: 'in_flight' }, s?.inFlight ?? 0);
        this.set({ state: 'waiting' }, s?.waiting ?? 0);
      },
    });
    new Gauge({
      name: 'parley_login_gate_decisions',
      help: 'Logins the gate let through (admitted), of those the ones that failed (failed), and those refused at once as busy (refused, HTTP 503), since start',
      labelNames: ['outcome'],
      registers,
      collect() {
        const s = metrics.gate?.stats();
        this.set({ outcome: 'admitted' }, s?.admitted ?? 0);
        this.set({ outcome: 'failed' }, s?.failed ?? 0);
        this.set({ outcome: 'refused' }, s?.refused ?? 0);
      },
    });
    for (const outcome of ['inserted', 'duplicate']) this.storeBatchMessages.inc({ outcome }, 0);
    for (const mode of ['resuming', 'reconnecting']) this.reconnects.inc({ mode }, 0);
    for (const direction of ['in', 'out']) this.stanzas.inc({ direction }, 0);
  }

  /** The gauges read the live sessions from here at every scrape. */
  watchSessions(source: SessionSource): void {
    this.source = source;
  }

  /** The login gate's gauges read it at every scrape. */
  watchLoginGate(gate: { stats(): GateStats }): void {
    this.gate = gate;
  }

  /** Wraps a connection factory (default: XmppConnection.open): every connection it opens is observed. */
  instrumentConnect(connect: Connect = (opts) => XmppConnection.open(opts)): Connect {
    return async (opts) => this.observeConnection(await connect(opts));
  }

  /**
   * Counts one connection's traffic and drops. Inbound stanzas are seen by wrapping `emit`, not with a 'stanza'
   * listener: XmppConnection holds early stanzas until its first 'stanza' listener exists, and a metrics listener
   * must not be that first one (the session would lose them).
   */
  observeConnection<C extends XmppConnection>(conn: C): C {
    const { stanzas, reconnects } = this;
    const target = conn as unknown as Partial<Pick<XmppConnection, 'send' | 'sendAcked' | 'iq' | 'emit' | 'on'>> & { state?: ConnectionState };
    if (typeof target.send === 'function') {
      const send = target.send.bind(conn);
      target.send = (el: Element) => (stanzas.inc({ direction: 'out' }), send(el));
    }
    if (typeof target.sendAcked === 'function') {
      const sendAcked = target.sendAcked.bind(conn);
      target.sendAcked = (el: Element) => (stanzas.inc({ direction: 'out' }), sendAcked(el));
    }
    // iq() sends through this.send (counted above); its result never reaches 'stanza'.
    if (typeof target.iq === 'function') {
      const iq = target.iq.bind(conn);
      target.iq = (el: Element, timeoutMs?: number) =>
        iq(el, timeoutMs).then((res) => {
          stanzas.inc({ direction: 'in' });
          return res;
        });
    }
    if (typeof target.emit === 'function') {
      const emit = target.emit.bind(conn);
      target.emit = (event: string | symbol, ...args: unknown[]) => {
        if (event === 'stanza') stanzas.inc({ direction: 'in' });
        return emit(event, ...args);
      };
    }
    let previous: ConnectionState | undefined = target.state;
    target.on?.('state', (state: ConnectionState) => {
      if (previous === 'online' && (state === 'resuming' || state === 'reconnecting')) reconnects.inc({ mode: state });
      previous = state;
    });
    return conn;
  }

  /**
   * Times every MessageStore.insert and insertMany of this store object. insertMany does not go through the
   * (wrapped) insert, so a batch is one batch observation and its messages are counted once.
   */
  instrumentMessageStore<S extends Pick<MessageStore, 'insert'> & Partial<Pick<MessageStore, 'insertMany'>>>(store: S): S {
    if (typeof store.insertMany === 'function') {
      const insertMany = store.insertMany.bind(store);
      const { storeBatch, storeBatchMessages } = this;
      store.insertMany = async (msgs, stamp) => {
        const end = storeBatch.startTimer();
        try {
          const results = await insertMany(msgs, stamp);
          end({ outcome: 'ok' });
          const inserted = results.filter((r) => r.inserted).length;
          storeBatchMessages.inc({ outcome: 'inserted' }, inserted);
          storeBatchMessages.inc({ outcome: 'duplicate' }, results.length - inserted);
          return results;
        } catch (err) {
          end({ outcome: 'error' });
          throw err;
        }
      };
    }
    const insert = store.insert.bind(store);
    const histogram = this.storeInsert;
    store.insert = async (msg) => {
      const end = histogram.startTimer();
      try {
        const result = await insert(msg);
        end({ outcome: result.inserted ? 'inserted' : 'duplicate' });
        return result;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    };
    return store;
  }

  /** The exposition text for a scrape. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

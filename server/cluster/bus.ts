/**
 * socket.io across nodes: the Redis adapter (@socket.io/redis-adapter), so that a room's emits, disconnectSockets and
 * fetchSockets reach every node, and its server-side emits with acknowledgements for asking the node that owns a
 * session. No broker of our own: Redis through the adapter is the engine.
 */
import type { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../app/logger.js';

/** A server-side request answered by at most one node (the owner); the others answer null. */
export type Serve = (payload: never) => Promise<unknown>;

export class ClusterBus {
  private readonly pub: ReturnType<typeof createClient>;
  private readonly sub: ReturnType<typeof createClient>;

  private constructor(
    private readonly io: Server,
    url: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    // Fail fast while Redis is away (no offline queue): a tab gets "partly unavailable" rather than a hung command.
    const options = { url, disableOfflineQueue: true, socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000), connectTimeout: 2000 } };
    this.pub = createClient(options);
    this.sub = this.pub.duplicate();
    let reported = false;
    for (const client of [this.pub, this.sub]) {
      client.on('error', (err: Error) => {
        if (!reported) log.error({ err: err.message }, 'Redis unreachable: tabs on other nodes cannot reach sessions here');
        reported = true;
      });
      client.on('ready', () => {
        if (reported) log.info('Redis reachable again');
        reported = false;
      });
    }
  }

  /** Connects to Redis and installs the adapter; a Redis that is away at start is retried in the background. */
  static async start(io: Server, url: string, log: Logger, timeoutMs = 3000): Promise<ClusterBus> {
    const bus = new ClusterBus(io, url, timeoutMs, log);
    const connected = Promise.all([bus.pub.connect(), bus.sub.connect()]);
    connected.catch(() => undefined);
    await Promise.race([connected, new Promise((r) => setTimeout(r, timeoutMs))]);
    io.adapter(createAdapter(bus.failSoft(bus.pub), bus.sub, { requestsTimeout: timeoutMs }));
    return bus;
  }

  /**
   * The adapter publishes without waiting for the result: with Redis away each publish would be an unhandled
   * rejection (fatal in Node). Here a failed publish is a lost broadcast, and a failed PUBSUB NUMSUB counts no other
   * node (so requests answer at once with nothing).
   */
  private failSoft(client: ReturnType<typeof createClient>): ReturnType<typeof createClient> {
    const soft = (name: string, fallback: unknown) => (...args: unknown[]) =>
      ((client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args)).catch(() => fallback);
    return new Proxy(client, {
      get: (target, key) => {
        if (key === 'publish') return soft('publish', 0);
        if (key === 'sendCommand') return soft('sendCommand', [null, 0]);
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  get redisOk(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  /** Asks every other node; the first answer that is not null wins. Null: nobody answered (in time). */
  async ask<T>(topic: string, payload: unknown): Promise<T | null> {
    if (!this.redisOk) return null;
    return new Promise<T | null>((resolve) => {
      let done = false;
      const finish = (v: T | null) => {
        if (!done) (done = true), clearTimeout(timer), resolve(v);
      };
      const timer = setTimeout(() => finish(null), this.timeoutMs + 500);
      try {
        (this.io.serverSideEmit as (ev: string, ...args: unknown[]) => boolean)(topic, payload, (_err: Error | null, responses: unknown[] = []) => {
          finish((responses.find((r) => r !== null && r !== undefined) as T | undefined) ?? null);
        });
      } catch (err) {
        this.log.warn({ err, topic }, 'cluster request failed');
        finish(null);
      }
    });
  }

  /** Tells every other node, without waiting for anyone. */
  tell(topic: string, payload: unknown): void {
    if (!this.redisOk) return;
    try {
      (this.io.serverSideEmit as (ev: string, ...args: unknown[]) => boolean)(topic, payload);
    } catch (err) {
      this.log.warn({ err, topic }, 'cluster message failed');
    }
  }

  /** Answers `topic` from other nodes; a handler that throws answers null. */
  serve(topic: string, handler: Serve): void {
    (this.io.on as (ev: string, fn: (...args: unknown[]) => void) => void)(topic, (payload: unknown, ack?: unknown) => {
      void handler(payload as never).then(
        (r) => typeof ack === 'function' && ack(r ?? null),
        (err: unknown) => {
          this.log.warn({ err, topic }, 'cluster request handler failed');
          if (typeof ack === 'function') ack(null);
        },
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((c) => (c.isOpen ? c.quit().catch(() => undefined) : undefined)));
  }
}

/** A notification as the application's API posted it to the daemon (SPEC §3). */
export interface Notification {
  name: string;
  type: string;
  id: number | string;
  data?: unknown;
  origin?: string | null;
  [member: string]: unknown;
}

export interface NotificationMeta {
  /** The event's id: increasing, opaque. */
  id: string;
  /** True when the notification's `origin` is this tab's `origin`: the tab's own change. */
  self: boolean;
}

export type Status = "connecting" | "open" | "retrying" | "unauthorized" | "closed";

export interface ConnectOptions {
  /** The names to subscribe to at first. */
  events?: string[];
  /** An API key, sent as `Authorization: Bearer` (the fetch path); cookies otherwise. */
  apiKey?: string;
  /** Send cookies to a stream on another origin (the daemon's `client.cors_origins`). */
  withCredentials?: boolean;
  /** One stream for all tabs of this page's origin (Web Locks + BroadcastChannel). */
  share?: boolean;
}

export interface Connection {
  /** This tab's own window id: send it to the API (e.g. `X-SSE-Origin`) to have `self` set. */
  readonly origin: string;
  on(name: string, handler: (notification: Notification, meta: NotificationMeta) => void): Connection;
  /** The signed-in user's account events (`events.account`), with no subscription. */
  onAccount(handler: (notification: Notification, meta: NotificationMeta) => void): Connection;
  /** Events were lost (history too old, another daemon run): refetch the page's state. */
  onResync(handler: (resync: { reason: string }) => void): Connection;
  /** Called at once with the current status, then at every change. */
  onStatus(handler: (status: Status) => void): Connection;
  subscribe(names: string[]): void;
  unsubscribe(names: string[]): void;
  close(): void;
}

export function connect(url: string | URL, options?: ConnectOptions): Connection;

/**
 * Who holds a cross-process lock (fileStorage, redisStorage): the host and the process id. A lock
 * whose holder ran on this host and whose process is gone is taken over at once, instead of after
 * the lock's staleness bound; a holder on another host (or one we cannot judge) is left to that bound.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

let host: string | undefined;

/**
 * This host as a lock records it: the hostname, plus (on Linux) the boot id and the pid namespace,
 * so two machines or containers that share a hostname are never taken for one host (a pid means
 * nothing across them). No `:` (the Redis lock value is `host:pid:token`).
 */
export function thisHost(): string {
  host ??= [hostname(), attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()), pidNamespace()]
    .filter((part) => part !== '')
    .join('/')
    .replaceAll(':', '_');
  return host;
}

function pidNamespace(): string {
  return attempt(() => readlinkSync('/proc/self/ns/pid')).replace(/\D/g, '');
}

function attempt(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** The holder recorded in a lock is a process of this host that no longer exists. */
export function holderGone(holderHost: string, pid: number): boolean {
  // Only a positive pid names one process (0 and negatives name process groups).
  if (holderHost !== thisHost() || !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (error) {
    // EPERM: it exists, as another user's. Only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A storage key as Preact state: read once on mount, then kept current with
 * `watch`, so the popup shows what the background writes while it is open.
 */
import { useEffect, useState } from 'preact/hooks';
import { KEYS, type KeyName, read, type ValueOf, watch } from '../shared/storage.ts';

export interface StoredValue<T> {
  value: T;
  loaded: boolean;
}

export function useStoredValue<K extends KeyName>(name: K): StoredValue<ValueOf<K>> {
  const [state, setState] = useState<StoredValue<ValueOf<K>>>(() => ({
    value: KEYS[name].defaultValue as ValueOf<K>,
    loaded: false,
  }));

  useEffect(() => {
    let active = true;
    // A change seen by the watcher is newer than whatever the initial read returns.
    let changed = false;
    const unwatch = watch(name, (value) => {
      changed = true;
      if (active) setState({ value, loaded: true });
    });
    read(name).then(
      (value) => {
        if (active && !changed) setState({ value, loaded: true });
      },
      () => {
        // Unreadable storage reads as the default rather than leaving the popup blank.
        if (active && !changed) setState((s) => ({ ...s, loaded: true }));
      },
    );
    return () => {
      active = false;
      unwatch();
    };
  }, [name]);

  return state;
}

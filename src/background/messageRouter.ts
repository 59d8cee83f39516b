/** Dispatches the typed popup -> background messages; every type must have a handler. */
import type browser from 'webextension-polyfill';
import { toCompanionError } from '../shared/errors.ts';
import {
  isRequestEnvelope,
  type MessageHandlers,
  type ResponseEnvelope,
} from '../shared/messages.ts';

export function createMessageListener(handlers: MessageHandlers, ownExtensionId: string) {
  return (
    message: unknown,
    sender: browser.Runtime.MessageSender,
  ): Promise<ResponseEnvelope> | undefined => {
    if (!isRequestEnvelope(message)) return undefined;
    // Only our own extension pages (popup, result page) may command the worker.
    if (sender.id !== ownExtensionId) return undefined;
    const handler = handlers[message.type] as (payload: unknown) => Promise<unknown>;
    return handler(message.payload).then(
      (value) => ({ ok: true, value }) as ResponseEnvelope,
      (err: unknown) => ({ ok: false, error: toCompanionError(err).toJSON() }),
    );
  };
}

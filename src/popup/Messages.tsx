import type { Notice } from './formState.ts';

/**
 * The one message area: success and unsuccessful messages with their
 * technical code. role="alert" so they are announced; the status label is
 * the only role="status" on the page.
 */
export function Messages({ notice, onDismiss }: { notice: Notice | null; onDismiss: () => void }) {
  if (!notice) return null;
  return (
    <div class={`message message--${notice.kind}`}>
      <div role="alert" class="message__body">
        <p class="message__text">{notice.text}</p>
        {(notice.code || notice.detail) && (
          <p class="message__code">
            {notice.code && `(code: ${notice.code})`}
            {notice.detail && ` ${notice.detail}`}
          </p>
        )}
      </div>
      <button
        type="button"
        class="message__dismiss"
        aria-label="Dismiss message"
        onClick={onDismiss}
      >
        ×
      </button>
    </div>
  );
}

// What a page or form says while it waits and once the API has answered: "Loading…",
// the result in words, or the refusal no field of the form owns. One component, so every
// page says these alike and announces them to screen readers alike (a result politely,
// a refusal at once).

/// `loading` shows "Loading…"; `done` (with its `doneId`, for a test or a link to find
/// it) is the result; `error` (with its `errorId`) the refusal. Nothing when none is set.
export function Outcome({ loading, done, doneId, error, errorId }) {
  return (
    <>
      {loading && <p aria-live="polite">Loading…</p>}
      {done && (
        <p id={doneId} class="done" role="status">
          {done}
        </p>
      )}
      {error && (
        <p id={errorId} class="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

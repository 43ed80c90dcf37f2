// A list the API replaces whole, edited as a table of rows and saved with one PUT: the
// ASM settings' lists and a site's discovery ranges.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get } from "./api.js";
import { fieldErrors } from "./pages/asm-common.jsx";
import { Outcome } from "./outcome.jsx";

/// A list the API replaces whole: a table of rows to edit, add and remove, saved with one
/// PUT. `columns` are `{key, label, field, type, options}` (type `shown` only shows it), `field` being the API's name
/// of the row's part the column edits (`[2].email`); `place` turns an API error's field
/// into the row and column it is about, where the list sent is not the rows shown. The list
/// is read from `path` and put to `savePath` (the same unless the API reads it as part of
/// something larger, as a site's ranges are); `onSaved` hears what the API stored.
export function ListEditor({ id, path, savePath = path, columns, blankRow, toBody, fromBody, place = (field) => field, empty, onSaved }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [loadError, setLoadError] = useState(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    setSaved(null);
    get(path).then(
      (body) => setRows(fromBody(body)),
      (e) => setLoadError(e.message),
    );
  }, [path]);
  if (loadError) {
    return <Outcome error={loadError} />;
  }
  if (rows === null) return <Outcome loading />;
  const keys = rows.flatMap((_, i) => [`[${i}]`, ...columns.map((c) => `[${i}].${c.field}`)]);
  const placed = error ? new ApiError(error.status, error.message, error.field && place(error.field)) : null;
  const errors = fieldErrors(placed, keys);
  const set = (index, change) => setRows(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const body = await call("PUT", savePath, toBody(rows));
      setRows(fromBody(body));
      setSaved("Saved.");
      onSaved?.(body);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  return (
    <form onSubmit={save} class="list-editor" noValidate>
      {rows.length === 0 && <p class="note">{empty}</p>}
      {rows.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col">{c.label}</th>
                ))}
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr>
                  {columns.map((c) => {
                    const control = `${id}-${i}-${c.key}`;
                    const key = `[${i}].${c.field}`;
                    const common = {
                      id: control,
                      "aria-label": `${c.label}, row ${i + 1}`,
                      ...errors.props(key, control),
                    };
                    return (
                      <td>
                        {c.type === "shown" ? (
                          row[c.key] || "—"
                        ) : c.type === "select" ? (
                          <select {...common} value={row[c.key]} onChange={(e) => set(i, { [c.key]: e.currentTarget.value })}>
                            {c.options.map(([value, words]) => (
                              <option value={value}>{words}</option>
                            ))}
                          </select>
                        ) : (
                          <input {...common} type={c.type ?? "text"} class={c.type === "number" ? "short" : undefined} value={row[c.key]}
                            onInput={(e) => set(i, { [c.key]: e.currentTarget.value })} />
                        )}
                        {errors.text(key, control)}
                      </td>
                    );
                  })}
                  <td>
                    <button type="button" class="quiet-dark" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      Remove<span class="visually-hidden"> row {i + 1}</span>
                    </button>
                    {errors.text(`[${i}]`, `${id}-${i}`)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions">
        <button type="button" class="quiet-dark" onClick={() => setRows([...rows, blankRow()])}>
          Add a row<span class="visually-hidden"> to {id.replace(/-/g, " ")}</span>
        </button>
        <button type="submit">
          Save<span class="visually-hidden"> {id.replace(/-/g, " ")}</span>
        </button>
      </div>
      <Outcome error={errors.rest} done={saved} />
    </form>
  );
}


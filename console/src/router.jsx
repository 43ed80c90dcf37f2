// Page addresses are real paths (`/devices/12`), so a dealer can bookmark and share them;
// the server answers every console path with the same page and this picks what to show.
import { useEffect, useState } from "preact/hooks";

export function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, "", path);
  window.dispatchEvent(new Event("quire:navigated"));
}

export function useLocation() {
  const [here, setHere] = useState(location.pathname + location.search);
  useEffect(() => {
    const moved = () => setHere(location.pathname + location.search);
    window.addEventListener("popstate", moved);
    window.addEventListener("quire:navigated", moved);
    return () => {
      window.removeEventListener("popstate", moved);
      window.removeEventListener("quire:navigated", moved);
    };
  }, []);
  return here;
}

/// A link that moves within the console without reloading it.
export function Link({ href, children, ...rest }) {
  const follow = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={follow} {...rest}>
      {children}
    </a>
  );
}

import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, signOut, signedIn } from "./api.js";
import { Link, navigate, useLocation } from "./router.jsx";
import { SignIn } from "./pages/sign-in.jsx";
import { Fleet } from "./pages/fleet.jsx";
import { Device } from "./pages/device.jsx";
import { Maintenance } from "./pages/maintenance.jsx";
import { Network } from "./pages/network.jsx";
import { Asm } from "./pages/asm.jsx";
import { Strategies } from "./pages/strategies.jsx";
import { Billing } from "./pages/billing.jsx";
import { Administration } from "./pages/administration.jsx";

function page(path) {
  const url = new URL(path, location.origin);
  const device = url.pathname.match(/^\/devices\/(\d+)$/);
  if (device) return <Device id={Number(device[1])} />;
  if (url.pathname === "/" || url.pathname === "/fleet") return <Fleet search={url.searchParams} />;
  if (url.pathname === "/network") return <Network search={url.searchParams} />;
  if (url.pathname === "/maintenance") return <Maintenance search={url.searchParams} />;
  if (url.pathname === "/asm" || url.pathname.startsWith("/asm/")) return <Asm path={url.pathname} search={url.searchParams} />;
  if (url.pathname === "/strategies") return <Strategies search={url.searchParams} />;
  if (url.pathname === "/billing") return <Billing search={url.searchParams} />;
  if (url.pathname === "/administration") return <Administration search={url.searchParams} />;
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        No page here. <Link href="/">Back to the fleet</Link>.
      </p>
    </main>
  );
}

function App() {
  const here = useLocation();
  const [me, setMe] = useState(null);
  const [session, setSession] = useState(signedIn());

  useEffect(() => {
    const ended = () => setSession(false);
    window.addEventListener("quire:signed-out", ended);
    return () => window.removeEventListener("quire:signed-out", ended);
  }, []);
  useEffect(() => {
    if (session) get("/api/v1/me").then(setMe, () => setMe(null));
  }, [session]);

  if (!session) {
    return (
      <SignIn
        onSignedIn={() => {
          setSession(true);
          if (location.pathname === "/sign-in") navigate("/");
        }}
      />
    );
  }
  const leave = async () => {
    await signOut();
    setSession(false);
    setMe(null);
  };
  return (
    <>
      <header class="bar">
        <Link href="/" class="brand">
          Quire
        </Link>
        <nav aria-label="Console">
          <Link href="/" aria-current={here === "/" || here.startsWith("/?") ? "page" : undefined}>
            Fleet
          </Link>
          <Link href="/maintenance" aria-current={here.startsWith("/maintenance") ? "page" : undefined}>
            Maintenance
          </Link>
          <Link href="/network" aria-current={here.startsWith("/network") ? "page" : undefined}>
            Network
          </Link>
          <Link href="/asm" aria-current={here === "/asm" || here.startsWith("/asm/") || here.startsWith("/asm?") ? "page" : undefined}>
            ASM
          </Link>
          <Link href="/strategies" aria-current={here.startsWith("/strategies") ? "page" : undefined}>
            Strategies
          </Link>
          <Link href="/billing" aria-current={here.startsWith("/billing") ? "page" : undefined}>
            Billing
          </Link>
          {/* Accounts and users are managed by administrators and dealer users. */}
          {(me?.user.role === "administrator" || me?.user.role === "dealer-user") && (
            <Link href="/administration" aria-current={here.startsWith("/administration") ? "page" : undefined}>
              Administration
            </Link>
          )}
        </nav>
        {/* Everyone changes their own password on the administration page. */}
        {me && (
          <Link href="/administration" class="who" title="Your password and sessions">
            {me.user.name}
          </Link>
        )}
        <button type="button" class="quiet" onClick={leave}>
          Sign out
        </button>
      </header>
      {page(here)}
    </>
  );
}

render(<App />, document.getElementById("app"));

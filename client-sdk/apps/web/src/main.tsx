/** Entry point: the theme first (no flash of the wrong one), then the app. */
import { render } from "preact";
import { App } from "./app.js";
import { applyTheme } from "./lib/settings.js";
import "./styles.css";

applyTheme();
render(<App />, document.getElementById("app")!);

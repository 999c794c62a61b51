// Theme tokens as CSS variables, as `ThemeTokens::css_variables` (app/src/theme.rs) writes them:
// an invalid token falls back to the default.
const FONT_STACKS = {
  sans: "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  serif: "ui-serif, Georgia, Cambria, 'Times New Roman', Times, serif",
  rounded: "ui-rounded, 'SF Pro Rounded', 'Hiragino Maru Gothic ProN', Quicksand, Nunito, ui-sans-serif, sans-serif",
  mono: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  humanist: "Seravek, 'Gill Sans Nova', Ubuntu, Calibri, 'DejaVu Sans', source-sans-pro, sans-serif",
};
const DEFAULTS = {
  primary: "#1f4d3a",
  accent: "#c9774e",
  background: "#f6f1e7",
  surface: "#ffffff",
  text: "#1d2428",
  muted: "#5b6b73",
  heading_font: "serif",
  body_font: "sans",
  radius: 10,
};
const HEX = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

export function themeVariables(theme) {
  const t = { ...DEFAULTS, ...(theme ?? {}) };
  const color = (k) => (typeof t[k] === "string" && HEX.test(t[k]) ? t[k] : DEFAULTS[k]);
  const font = (k) => FONT_STACKS[t[k]] ?? FONT_STACKS[DEFAULTS[k]];
  const radius = Number.isInteger(t.radius) && t.radius >= 0 ? Math.min(t.radius, 32) : DEFAULTS.radius;
  return {
    "--vt-primary": color("primary"),
    "--vt-accent": color("accent"),
    "--vt-background": color("background"),
    "--vt-surface": color("surface"),
    "--vt-text": color("text"),
    "--vt-muted": color("muted"),
    "--vt-font-heading": font("heading_font"),
    "--vt-font-body": font("body_font"),
    "--vt-radius": `${radius}px`,
  };
}

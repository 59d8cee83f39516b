// Puppeteer's own browser download cannot reach its host from CI or the
// developer machines; tests use the system Chromium (/usr/bin/chromium).
module.exports = { skipDownload: true };

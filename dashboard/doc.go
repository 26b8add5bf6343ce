// Package dashboard serves a read-only web view of stored studies: the
// list of studies, each study's leaderboard and plots, and one page per
// trial. It reads through a Source and never changes a study.
//
// Pages are rendered server-side with html/template, which escapes what
// a study file or trial stores; plots are the SVG images of package plot.
// A study page follows a running study through server-sent events: the
// server polls the store and sends an event when the study's trials
// change, and the page then reloads its leaderboard alone.
package dashboard

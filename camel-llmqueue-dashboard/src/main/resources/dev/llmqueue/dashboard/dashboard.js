// The llmqueue dashboard: polls {base}/api/state and {base}/api/history once a second and draws them.
// Plain JavaScript, no library: the charts are drawn on <canvas>, the timeline is made of positioned <div>s.
(function () {
    "use strict";

    var BASE = document.body.getAttribute("data-base");
    var TOKEN_KEY = "llmqueue.dashboard.token";
    var COLORS = {
        HIGH: "#ff9f43", LOW: "#4da3ff", busy: "#3ddc97", fail: "#ff5f5f", reject: "#c792ea",
        grid: "#283241", axis: "#8391a5"
    };
    var sections = {};
    var writable = false;
    var showPrompts = false;
    var lastHistory = null;
    var polling = false;

    // ------------------------------------------------------------------ formatting

    function num(n) {
        return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
    }

    function dur(ms) {
        if (ms === null || ms === undefined || ms < 0) {
            return "–";
        }
        if (ms < 1000) {
            return Math.round(ms) + " ms";
        }
        if (ms < 60000) {
            return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
        }
        if (ms < 3600000) {
            return Math.floor(ms / 60000) + "m " + String(Math.floor(ms / 1000) % 60).padStart(2, "0") + "s";
        }
        return Math.floor(ms / 3600000) + "h " + String(Math.floor(ms / 60000) % 60).padStart(2, "0") + "m";
    }

    function el(tag, attrs, children) {
        var e = document.createElement(tag);
        if (attrs) {
            Object.keys(attrs).forEach(function (k) {
                if (k === "text") {
                    e.textContent = attrs[k];
                } else if (k === "class") {
                    e.className = attrs[k];
                } else {
                    e.setAttribute(k, attrs[k]);
                }
            });
        }
        (children || []).forEach(function (c) {
            e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
        });
        return e;
    }

    function toast(message, error) {
        var t = el("div", {"class": "toast" + (error ? " error" : ""), text: message});
        document.getElementById("toasts").appendChild(t);
        setTimeout(function () {
            t.remove();
        }, error ? 8000 : 4000);
    }

    // ------------------------------------------------------------------ token and actions

    function token() {
        return sessionStorage.getItem(TOKEN_KEY);
    }

    function showAuth() {
        var form = document.getElementById("auth");
        form.hidden = !writable;
        var has = !!token();
        document.getElementById("token").hidden = has;
        document.getElementById("token-save").hidden = has;
        document.getElementById("token-forget").hidden = !has;
        document.getElementById("auth-state").textContent = has ? "actions unlocked" : "read-only until you enter the token";
    }

    function tokenFromFragment() {
        // #token=... is never sent to the server; it is moved to this tab's session storage and off the address bar
        var m = /[#&]token=([^&]+)/.exec(location.hash);
        if (m) {
            sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
            history.replaceState(null, "", location.pathname + location.search);
            showAuth();
        }
    }

    function setupAuth() {
        tokenFromFragment();
        window.addEventListener("hashchange", tokenFromFragment);
        document.getElementById("auth").addEventListener("submit", function (ev) {
            ev.preventDefault();
            var value = document.getElementById("token").value.trim();
            if (value) {
                sessionStorage.setItem(TOKEN_KEY, value);
                document.getElementById("token").value = "";
            }
            showAuth();
        });
        document.getElementById("token-forget").addEventListener("click", function () {
            sessionStorage.removeItem(TOKEN_KEY);
            showAuth();
        });
    }

    function act(what, body, done) {
        var t = token();
        if (!t) {
            toast("Enter the dashboard token first (top right).", true);
            document.getElementById("token").focus();
            return;
        }
        fetch(BASE + "/api/" + what, {
            method: "POST",
            headers: {"Content-Type": "application/json", "Authorization": "Bearer " + t},
            body: JSON.stringify(body)
        }).then(function (r) {
            return r.json().then(function (json) {
                if (r.status === 401) {
                    sessionStorage.removeItem(TOKEN_KEY);
                    showAuth();
                }
                if (!r.ok) {
                    toast(r.status + ": " + (json.error || "refused"), true);
                } else if (done) {
                    done(json);
                }
                poll();
            });
        }).catch(function (e) {
            toast("Request failed: " + e, true);
        });
    }

    // ------------------------------------------------------------------ a component's section

    function tile(cls, label, field) {
        return el("div", {"class": "tile " + cls}, [
            el("div", {"class": "label", text: label}),
            el("div", {"class": "value", "data-field": field, text: "–"}),
            el("div", {"class": "sub", "data-sub": field})
        ]);
    }

    function chartPanel(title, key) {
        return el("div", {"class": "panel"}, [
            el("h3", {text: title}),
            el("div", {"class": "legend", "data-legend": key}),
            el("canvas", {"class": "chart", "data-chart": key, "data-points": "0", "data-max": "0"})
        ]);
    }

    function section(name) {
        var s = el("section", {"class": "queue", "data-component": name});
        var head = el("div", {"class": "queue-head"}, [
            el("h2", {text: name}),
            el("span", {"class": "badge", "data-field": "background"}),
            el("span", {"class": "badge", "data-field": "limits"})
        ]);
        if (writable) {
            var limit = el("input", {type: "number", min: "1", step: "1", "data-action": "limit-value", "aria-label": "maxConcurrentRequests"});
            var apply = el("button", {type: "button", "data-action": "limit", text: "Set slots"});
            apply.addEventListener("click", function () {
                act("maxConcurrentRequests", {component: name, value: Number(limit.value)}, function (json) {
                    toast(name + ": maxConcurrentRequests = " + json.maxConcurrentRequests);
                });
            });
            var toggle = el("button", {type: "button", "data-action": "background"});
            toggle.addEventListener("click", function () {
                var enable = toggle.getAttribute("data-enable") === "true";
                act("background", {component: name, enabled: enable}, function (json) {
                    toast(name + ": background (LOW) work " + (json.disableBackground ? "off: waiting LOW requests were rejected" : "on"));
                });
            });
            head.appendChild(el("div", {"class": "actions"}, [el("span", {"class": "muted", text: "slots"}), limit, apply, toggle]));
        }
        s.appendChild(head);
        s.appendChild(el("div", {"class": "tiles"}, [
            tile("high", "HIGH waiting", "highPriorityQueueSize"),
            tile("low", "LOW waiting", "lowPriorityQueueSize"),
            tile("busy", "In flight", "activeRequests"),
            tile("", "Retrying", "retryingRequests"),
            tile("", "Completed", "completed"),
            tile("fail", "Failed", "failed"),
            tile("fail", "Rejected · expired", "rejected"),
            tile("", "Cancelled", "cancelled")
        ]));
        s.appendChild(el("div", {"class": "charts"}, [
            chartPanel("Stacks and slots", "stacks"),
            chartPanel("Wait before the call, per priority", "waits"),
            chartPanel("Throughput and failures per second", "rates")
        ]));
        var waiting = el("div", {"class": "panel"}, [
            el("h3", {}, ["Waiting, next served first", el("span", {"class": "count muted", "data-field": "queuedCount"})]),
            el("div", {"class": "scroll"}, [el("table", {"class": "waiting"}, [el("thead"), el("tbody", {"data-list": "queued"})])])
        ]);
        s.appendChild(el("div", {"class": "lists"}, [
            el("div", {"class": "panel"}, [
                el("h3", {text: "Wait and call times (recent)"}),
                el("table", {"class": "percentiles"}, [el("tbody", {"data-list": "percentiles"})])
            ]),
            el("div", {"class": "panel"}, [
                el("h3", {}, ["Calls in flight", el("span", {"class": "count muted", "data-field": "inFlightCount"})]),
                el("table", {"class": "inflight"}, [el("tbody", {"data-list": "inFlight"})])
            ]),
            waiting
        ]));
        s.appendChild(el("div", {"class": "panel"}, [
            el("h3", {}, ["Served order: the last 50 requests (striped: waiting on the stack, solid: calling the LLM)",
                el("span", {"class": "count muted", "data-field": "servedSpan"})]),
            el("div", {"class": "timeline", "data-list": "timeline"})
        ]));
        return s;
    }

    function field(s, name) {
        return s.querySelector('[data-field="' + name + '"]');
    }

    function setText(s, name, text) {
        var e = field(s, name);
        if (e && e.textContent !== text) {
            e.textContent = text;
        }
        return e;
    }

    function sub(s, name, text) {
        var e = s.querySelector('[data-sub="' + name + '"]');
        if (e && e.textContent !== text) {
            e.textContent = text;
        }
        return e;
    }

    // ------------------------------------------------------------------ rendering the state

    function render(state) {
        writable = state.writable;
        showPrompts = state.showPrompts;
        showAuth();
        var main = document.getElementById("components");
        document.getElementById("empty").hidden = state.components.length > 0;
        var seen = {};
        state.components.forEach(function (c) {
            seen[c.component] = true;
            var s = sections[c.component];
            if (!s) {
                s = sections[c.component] = section(c.component);
                main.appendChild(s);
            }
            renderComponent(s, c, state.time);
        });
        Object.keys(sections).forEach(function (name) {
            if (!seen[name]) {
                sections[name].remove();
                delete sections[name];
            }
        });
    }

    function renderComponent(s, c, now) {
        setText(s, "highPriorityQueueSize", num(c.highPriorityQueueSize));
        sub(s, "highPriorityQueueSize", "of " + num(c.maxHighQueueSize) + " · oldest " + dur(c.highPriorityQueueSize ? c.oldestWaitMs.HIGH : null));
        setText(s, "lowPriorityQueueSize", num(c.lowPriorityQueueSize));
        sub(s, "lowPriorityQueueSize", "of " + num(c.maxLowQueueSize) + " · oldest " + dur(c.lowPriorityQueueSize ? c.oldestWaitMs.LOW : null));
        setText(s, "activeRequests", num(c.activeRequests) + " / " + num(c.maxConcurrentRequests));
        var slots = sub(s, "activeRequests", "");
        var shown = Math.min(c.maxConcurrentRequests, 64);
        if (slots.childElementCount !== 1 || slots.firstChild.childElementCount !== shown) {
            slots.textContent = "";
            var box = el("div", {"class": "slots"});
            for (var i = 0; i < shown; i++) {
                box.appendChild(el("i"));
            }
            slots.appendChild(box);
        }
        Array.prototype.forEach.call(slots.firstChild.children, function (slot, i) {
            slot.className = i < c.activeRequests ? "used" : "";
        });
        setText(s, "retryingRequests", num(c.retryingRequests));
        sub(s, "retryingRequests", "between attempts, no slot");
        setText(s, "completed", num(c.completed));
        setText(s, "failed", num(c.failed)).className = "value" + (c.failed ? " nonzero" : "");
        setText(s, "rejected", num(c.rejected + c.expired)).className = "value" + (c.rejected + c.expired ? " nonzero" : "");
        sub(s, "rejected", num(c.rejected) + " rejected · " + num(c.expired) + " expired");
        setText(s, "cancelled", num(c.cancelled));

        var bg = setText(s, "background", c.disableBackground ? "background (LOW) OFF" : "background (LOW) on");
        bg.className = "badge " + (c.disableBackground ? "off" : "on");
        var limits = Object.keys(c.effectiveLimits).map(function (url) {
            return url + " → " + c.effectiveLimits[url];
        });
        var limitsBadge = setText(s, "limits", "maxConcurrentRequests " + c.maxConcurrentRequests);
        limitsBadge.title = limits.length ? "effective limit per server:\n" + limits.join("\n") : "";

        if (writable) {
            var input = s.querySelector('[data-action="limit-value"]');
            if (document.activeElement !== input) {
                input.value = c.maxConcurrentRequests;
            }
            var toggle = s.querySelector('[data-action="background"]');
            toggle.textContent = c.disableBackground ? "Turn background on" : "Turn background off";
            toggle.className = c.disableBackground ? "" : "danger";
            toggle.setAttribute("data-enable", String(c.disableBackground));
        }

        renderPercentiles(s, c);
        renderInFlight(s, c);
        renderQueued(s, c);
        renderTimeline(s, c, now);
    }

    function renderPercentiles(s, c) {
        var body = s.querySelector('[data-list="percentiles"]');
        body.textContent = "";
        body.appendChild(el("tr", {}, [el("th"), el("th"), el("th", {"class": "num", text: "p50"}),
            el("th", {"class": "num", text: "p95"}), el("th", {"class": "num", text: "p99"}), el("th", {"class": "num", text: "n"})]));
        [["wait", c.waitTime], ["call", c.callTime]].forEach(function (kind) {
            ["HIGH", "LOW"].forEach(function (p) {
                var v = kind[1][p];
                body.appendChild(el("tr", {}, [
                    el("td", {text: kind[0]}), el("td", {}, [el("span", {"class": "prio " + p, text: p})]),
                    el("td", {"class": "num", text: v.count ? dur(v.p50) : "–"}),
                    el("td", {"class": "num", text: v.count ? dur(v.p95) : "–"}),
                    el("td", {"class": "num", text: v.count ? dur(v.p99) : "–"}),
                    el("td", {"class": "num muted", text: num(v.count)})
                ]));
            });
        });
    }

    function renderInFlight(s, c) {
        var body = s.querySelector('[data-list="inFlight"]');
        body.textContent = "";
        setText(s, "inFlightCount", num(c.inFlight.length) + " of " + num(c.maxConcurrentRequests) + " slots");
        if (!c.inFlight.length) {
            body.appendChild(el("tr", {}, [el("td", {"class": "none", text: "No call in flight."})]));
            return;
        }
        var longest = Math.max.apply(null, c.inFlight.map(function (r) {
            return r.callMs;
        }).concat([1000]));
        c.inFlight.forEach(function (r) {
            var bar = el("div", {"class": "runbar"});
            bar.style.width = Math.max(2, 100 * r.callMs / longest) + "%";
            body.appendChild(el("tr", {"data-priority": r.priority}, [
                el("td", {}, [el("span", {"class": "prio " + r.priority, text: r.priority})]),
                el("td", {"class": "num", text: dur(r.callMs)}),
                el("td", {style: "width:35%"}, [bar]),
                el("td", {"class": "num muted", text: r.attempt > 1 ? "attempt " + r.attempt : ""}),
                el("td", {"class": "url", title: r.url || "", text: (showPrompts ? (r.model || "") + " " : "") + (r.url || "")})
            ]));
        });
    }

    function renderQueued(s, c) {
        // rows are kept by ref and only their age changes: a row (and its cancel button) stays put under the mouse
        var body = s.querySelector('[data-list="queued"]');
        setText(s, "queuedCount", c.queuedTotal > c.queued.length
            ? "newest " + num(c.queued.length) + " of " + num(c.queuedTotal)
            : num(c.queuedTotal) + " waiting");
        var rows = {};
        Array.prototype.forEach.call(body.querySelectorAll("tr[data-ref]"), function (tr) {
            rows[tr.getAttribute("data-ref")] = tr;
        });
        var none = body.querySelector("tr.empty-row");
        if (!c.queued.length) {
            body.textContent = "";
            body.appendChild(el("tr", {"class": "empty-row"}, [el("td", {"class": "none", text: "Nothing waits: every request got a slot."})]));
            return;
        }
        if (none) {
            none.remove();
        }
        var keep = {};
        c.queued.forEach(function (r, i) {
            keep[r.ref] = true;
            var tr = rows[r.ref] || queuedRow(c, r);
            var age = tr.querySelector("[data-age]");
            age.setAttribute("data-age", String(r.ageMs));
            age.textContent = dur(r.ageMs);
            if (body.children[i] !== tr) {
                body.insertBefore(tr, body.children[i] || null);
            }
        });
        Object.keys(rows).forEach(function (ref) {
            if (!keep[ref]) {
                rows[ref].remove();
            }
        });
    }

    function queuedRow(c, r) {
        var cells = [
            el("td", {}, [el("span", {"class": "prio " + r.priority, text: r.priority})]),
            el("td", {"class": "num", "data-age": String(r.ageMs), text: dur(r.ageMs)})
        ];
        if (showPrompts) {
            cells.push(el("td", {"class": "mono", text: r.requestId}));
            cells.push(el("td", {"class": "url", text: r.model || ""}));
        } else {
            cells.push(el("td", {"class": "url", title: r.url || "", text: r.url || ""}));
        }
        if (writable) {
            var cancel = el("button", {type: "button", "class": "small danger cancel", text: "cancel"});
            cancel.addEventListener("click", function () {
                cancel.disabled = true;
                act("cancel", {component: c.component, ref: r.ref}, function () {
                    toast(c.component + ": a waiting " + r.priority + " request was cancelled");
                });
            });
            cells.push(el("td", {"class": "num"}, [cancel]));
        }
        return el("tr", {"data-ref": r.ref, "data-priority": r.priority}, cells);
    }

    function renderTimeline(s, c, now) {
        var box = s.querySelector('[data-list="timeline"]');
        var rows = c.served.map(function (r) {
            return {priority: r.priority, queuedAt: r.queuedAt, startedAt: r.startedAt, endedAt: r.endedAt,
                outcome: r.outcome, attempts: r.attempts, id: r.requestId};
        });
        c.inFlight.forEach(function (r) {
            rows.push({priority: r.priority, queuedAt: now - r.ageMs, startedAt: now - r.callMs, endedAt: null,
                outcome: "RUNNING", attempts: r.attempt, id: r.requestId});
        });
        rows.sort(function (a, b) {
            return a.startedAt - b.startedAt;
        });
        rows = rows.slice(-50);
        box.textContent = "";
        if (!rows.length) {
            box.appendChild(el("div", {"class": "none", text: "No request served yet."}));
            setText(s, "servedSpan", "");
            return;
        }
        var from = Math.min.apply(null, rows.map(function (r) {
            return r.queuedAt;
        }));
        var to = Math.max(now, Math.max.apply(null, rows.map(function (r) {
            return r.endedAt || now;
        })));
        var span = Math.max(1, to - from);
        setText(s, "servedSpan", "over the last " + dur(span));
        box.appendChild(el("div", {"class": "axis"}, [el("span", {text: "−" + dur(span)}),
            el("span", {text: "−" + dur(span / 2)}), el("span", {text: "now"})]));
        rows.forEach(function (r, i) {
            var track = el("div", {"class": "track"});
            var wait = el("div", {"class": "bar wait " + r.priority});
            wait.style.left = (100 * (r.queuedAt - from) / span) + "%";
            wait.style.width = (100 * (r.startedAt - r.queuedAt) / span) + "%";
            var end = r.endedAt || now;
            var call = el("div", {"class": "bar call " + r.priority + (r.endedAt ? "" : " running")
                + (r.outcome === "FAILED" ? " failed" : "")});
            call.style.left = (100 * (r.startedAt - from) / span) + "%";
            call.style.width = (100 * (end - r.startedAt) / span) + "%";
            call.title = r.priority + " · waited " + dur(r.startedAt - r.queuedAt) + " · call " + dur(end - r.startedAt)
                + " · " + r.outcome.toLowerCase() + (r.attempts > 1 ? " after " + r.attempts + " attempts" : "")
                + (r.id ? " · " + r.id : "");
            track.appendChild(wait);
            track.appendChild(call);
            box.appendChild(el("div", {"class": "row", "data-priority": r.priority, "data-outcome": r.outcome}, [
                el("div", {"class": "who"}, [el("span", {"class": "prio " + r.priority, text: r.priority}),
                    el("span", {text: "#" + (i + 1) + " " + dur(r.startedAt - r.queuedAt)})]),
                track
            ]));
        });
    }

    // ------------------------------------------------------------------ charts

    function renderHistory(history) {
        history.components.forEach(function (h) {
            var s = sections[h.component];
            if (!s) {
                return;
            }
            chart(s, "stacks", h.time, [
                {label: "HIGH waiting", color: COLORS.HIGH, values: h.highPriorityQueueSize},
                {label: "LOW waiting", color: COLORS.LOW, values: h.lowPriorityQueueSize},
                {label: "in flight", color: COLORS.busy, values: h.activeRequests},
                {label: "slots", color: COLORS.axis, values: h.maxConcurrentRequests, dashed: true}
            ]);
            chart(s, "waits", h.time, [
                {label: "HIGH p50", color: COLORS.HIGH, values: h.waitP50.HIGH},
                {label: "HIGH p99", color: COLORS.HIGH, values: h.waitP99.HIGH, dashed: true},
                {label: "LOW p50", color: COLORS.LOW, values: h.waitP50.LOW},
                {label: "LOW p99", color: COLORS.LOW, values: h.waitP99.LOW, dashed: true}
            ], dur);
            chart(s, "rates", h.time, [
                {label: "completed/s", color: COLORS.busy, values: h.completedPerSecond},
                {label: "failed/s", color: COLORS.fail, values: h.failedPerSecond},
                {label: "rejected, expired, cancelled/s", color: COLORS.reject, values: h.rejectedPerSecond}
            ]);
        });
    }

    function niceMax(v) {
        if (v <= 0) {
            return 1;
        }
        var p = Math.pow(10, Math.floor(Math.log10(v)));
        var m = v / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
    }

    function chart(s, key, time, series, format) {
        var canvas = s.querySelector('[data-chart="' + key + '"]');
        var legend = s.querySelector('[data-legend="' + key + '"]');
        if (!legend.childElementCount) {
            series.forEach(function (sr) {
                var item = el("span", {"class": sr.dashed ? "dashed" : "", text: sr.label});
                item.style.setProperty("--c", sr.color);
                legend.appendChild(item);
            });
        }
        var fmt = format || num;
        var ratio = window.devicePixelRatio || 1;
        var w = canvas.clientWidth, h = canvas.clientHeight;
        if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
            canvas.width = Math.round(w * ratio);
            canvas.height = Math.round(h * ratio);
        }
        var g = canvas.getContext("2d");
        g.setTransform(ratio, 0, 0, ratio, 0, 0);
        g.clearRect(0, 0, w, h);
        var left = 56, right = 8, top = 6, bottom = 18;
        var pw = w - left - right, ph = h - top - bottom;
        var now = time.length ? time[time.length - 1] : Date.now();
        // the window grows with the history kept, from one minute to ten
        var span = Math.min(600000, Math.max(60000, time.length ? now - time[0] : 0));
        var start = now - span;
        var max = 0, points = 0;
        series.forEach(function (sr) {
            sr.values.forEach(function (v) {
                if (v !== null) {
                    max = Math.max(max, v);
                    points++;
                }
            });
        });
        var top_ = niceMax(max);
        g.font = "11px system-ui, sans-serif";
        g.fillStyle = COLORS.axis;
        g.strokeStyle = COLORS.grid;
        g.lineWidth = 1;
        g.textAlign = "right";
        g.textBaseline = "middle";
        for (var i = 0; i <= 5; i++) {
            var y = top + ph - ph * i / 5;
            g.beginPath();
            g.moveTo(left, Math.round(y) + 0.5);
            g.lineTo(left + pw, Math.round(y) + 0.5);
            g.stroke();
            g.fillText(fmt(top_ * i / 5), left - 6, y);
        }
        g.textAlign = "center";
        g.textBaseline = "top";
        // time ticks on round numbers of seconds or minutes, counted back from now
        var step = [5000, 10000, 15000, 30000, 60000, 120000].filter(function (st) {
            return span / st <= 6;
        })[0] || 120000;
        for (var ago = 0; ago <= span; ago += step) {
            var x = left + pw * (1 - ago / span);
            var label = ago === 0 ? "now" : "−" + (ago % 60000 === 0 ? ago / 60000 + "m" : ago / 1000 + "s");
            g.fillText(label, Math.max(left + 10, Math.min(x, left + pw - 12)), top + ph + 4);
        }
        series.forEach(function (sr) {
            g.strokeStyle = sr.color;
            g.lineWidth = 1.6;
            g.setLineDash(sr.dashed ? [4, 3] : []);
            g.beginPath();
            var drawing = false;
            for (var j = 0; j < time.length; j++) {
                var v = sr.values[j];
                if (v === null || time[j] < start) {
                    drawing = false;
                    continue;
                }
                var x = left + pw * (time[j] - start) / span;
                var y = top + ph - ph * Math.min(v, top_) / top_;
                if (drawing) {
                    g.lineTo(x, y);
                } else {
                    g.moveTo(x, y);
                    drawing = true;
                }
            }
            g.stroke();
        });
        g.setLineDash([]);
        // what the tests (and curious people) can read from the DOM
        canvas.setAttribute("data-points", String(points));
        canvas.setAttribute("data-max", String(max));
        canvas.setAttribute("data-samples", String(time.length));
    }

    // ------------------------------------------------------------------ polling

    function setStatus(live, text) {
        var status = document.getElementById("status");
        status.setAttribute("data-state", live ? "live" : "down");
        document.getElementById("status-text").textContent = text;
    }

    function poll() {
        if (polling) {
            return;
        }
        polling = true;
        Promise.all([fetch(BASE + "/api/state", {cache: "no-store"}), fetch(BASE + "/api/history", {cache: "no-store"})])
            .then(function (replies) {
                if (!replies[0].ok || !replies[1].ok) {
                    throw new Error("HTTP " + replies[0].status + "/" + replies[1].status);
                }
                return Promise.all([replies[0].json(), replies[1].json()]);
            })
            .then(function (json) {
                render(json[0]);
                lastHistory = json[1];
                renderHistory(lastHistory);
                setStatus(true, "live · " + new Date(json[0].time).toLocaleTimeString("en-GB"));
                document.body.setAttribute("data-updated", String(json[0].time));
            })
            .catch(function (e) {
                setStatus(false, "no answer from the server (" + e.message + "); retrying");
            })
            .then(function () {
                polling = false;
            });
    }

    setupAuth();
    window.addEventListener("resize", function () {
        if (lastHistory) {
            renderHistory(lastHistory);
        }
    });
    poll();
    setInterval(poll, 1000);
})();

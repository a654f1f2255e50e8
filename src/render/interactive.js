
// whatif interactive page: a click on a service (or Enter on it) shows the
// cascade of `--down SERVICE`, precomputed by the CLI (see interactive.rs
// for the data). This script computes nothing and fetches nothing. Names
// are data: they are written only with textContent and setAttribute,
// never parsed as HTML.
(function () {
  "use strict";
  var STATES = ["healthy", "slow", "degraded", "down"];
  var STATE_CLASSES = ["st-none", "st-healthy", "st-slow", "st-degraded", "st-down"];
  // Characters a node's second line holds (svg.rs: 236 px of 6 px glyphs).
  var DETAIL_MAX = 39;
  // Zoom steps of the picture. It opens as wide as its box, but never so
  // small that its text is hard to read (READABLE_ZOOM: 10 px details at
  // 8 px, names at 9.6 px; the rest is a pan away, and the entry points
  // are in view) nor larger than MAX_OPENING_ZOOM; "fit" goes back there.
  var ZOOMS = [0.25, 0.35, 0.5, 0.7, 0.8, 1, 1.25, 1.5, 2, 2.5, 3];
  var READABLE_ZOOM = 0.8;
  var MAX_OPENING_ZOOM = 1.5;
  // Pixels a drag must move before it pans instead of clicking, and an
  // arrow key pans.
  var DRAG_SLOP = 4;
  var PAN_STEP = 80;

  function element(tag, className, text) {
    var e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function clear(e) {
    while (e.firstChild) {
      e.removeChild(e.firstChild);
    }
  }

  function badge(state) {
    return element("span", "wf-badge wf-b-" + STATES[state], STATES[state].toUpperCase());
  }

  function init() {
    var root = document.getElementById("whatif-explorer");
    var source = document.getElementById("whatif-data");
    if (!root || !source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var count = data.services.length;
    var svg = root.querySelector(".wf-picture svg");
    var nodes = [];
    var details = [];
    Array.prototype.forEach.call(root.querySelectorAll(".wf-node[data-service]"), function (g) {
      var i = Number(g.getAttribute("data-service"));
      if (i >= 0 && i < count) {
        nodes[i] = g;
        details[i] = g.querySelector(".wf-detail");
      }
    });
    var edges = Array.prototype.slice.call(root.querySelectorAll(".wf-edge"));
    var panel = {
      title: document.getElementById("wf-title"),
      summary: document.getElementById("wf-summary"),
      warning: document.getElementById("wf-warning"),
      entries: document.getElementById("wf-entries"),
      affected: document.getElementById("wf-affected")
    };
    var faults = Array.isArray(data.faults) ? data.faults : null;

    var frame = root.querySelector(".wf-picture");
    var natural = svg && svg.viewBox && svg.viewBox.baseVal;
    var zoom = 1;

    // Zooms to z keeping the picture's point under (x, y) of the frame
    // (its centre when not given) where it is.
    function setZoom(z, x, y) {
      var cx = x === undefined ? frame.clientWidth / 2 : x;
      var cy = y === undefined ? frame.clientHeight / 2 : y;
      var px = (frame.scrollLeft + cx) / zoom;
      var py = (frame.scrollTop + cy) / zoom;
      zoom = z;
      svg.setAttribute("width", String(Math.round(natural.width * z)));
      svg.setAttribute("height", String(Math.round(natural.height * z)));
      frame.scrollLeft = px * z - cx;
      frame.scrollTop = py * z - cy;
    }

    // As wide as the box, but readable and not blown up.
    function fitZoom() {
      var wide = (frame.clientWidth - 4) / natural.width;
      return Math.min(MAX_OPENING_ZOOM, Math.max(READABLE_ZOOM, wide));
    }

    // The opening view: fitted, the top of the picture and the entry
    // points (where users come in) in view.
    function fit() {
      setZoom(fitZoom());
      // Zooming may have brought a vertical scroll bar, narrowing the box.
      if (frame.scrollWidth > frame.clientWidth + 1) {
        setZoom(fitZoom());
      }
      var xs = [];
      data.entries.forEach(function (name) {
        var i = data.services.indexOf(name);
        if (i >= 0 && nodes[i]) {
          var box = nodes[i].getBBox();
          xs.push(box.x + box.width / 2);
        }
      });
      // The picture is drawn at `zoom` pixels per unit of its viewBox.
      var middle = xs.length
        ? ((Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2 + offsetX()) * zoom
        : 0;
      frame.scrollLeft = xs.length ? middle - frame.clientWidth / 2 : 0;
      frame.scrollTop = 0;
    }

    // Where the nodes' coordinates start in the picture (its translate).
    function offsetX() {
      var g = svg.querySelector("g[transform]");
      var m = g && /translate\(([-0-9.]+)/.exec(g.getAttribute("transform"));
      return m ? Number(m[1]) : 0;
    }

    function step(direction, x, y) {
      var next = zoom;
      for (var k = 0; k < ZOOMS.length; k++) {
        var z = direction > 0 ? ZOOMS[k] : ZOOMS[ZOOMS.length - 1 - k];
        if (direction > 0 ? z > zoom + 1e-9 : z < zoom - 1e-9) {
          next = z;
          break;
        }
      }
      setZoom(next, x, y);
    }

    // Dragging pans (a drag that started on a service does not click it);
    // Ctrl or ⌘ with the wheel zooms at the pointer; keys: + and − zoom,
    // 0 fits, arrows pan.
    function controls() {
      var drag = null;
      var dragged = false;
      frame.addEventListener("pointerdown", function (event) {
        if (event.button === 0) {
          drag = { x: event.clientX, y: event.clientY, left: frame.scrollLeft, top: frame.scrollTop };
          dragged = false;
        }
      });
      frame.addEventListener("pointermove", function (event) {
        if (!drag) {
          return;
        }
        var dx = event.clientX - drag.x;
        var dy = event.clientY - drag.y;
        if (!dragged && Math.abs(dx) + Math.abs(dy) > DRAG_SLOP) {
          dragged = true;
          frame.classList.add("wf-panning");
        }
        if (dragged) {
          frame.scrollLeft = drag.left - dx;
          frame.scrollTop = drag.top - dy;
        }
      });
      function end() {
        drag = null;
        frame.classList.remove("wf-panning");
      }
      frame.addEventListener("pointerup", end);
      frame.addEventListener("pointercancel", end);
      frame.addEventListener("click", function (event) {
        if (dragged) {
          dragged = false;
          event.stopPropagation();
          event.preventDefault();
        }
      }, true);
      frame.addEventListener("wheel", function (event) {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          var r = frame.getBoundingClientRect();
          step(event.deltaY < 0 ? 1 : -1, event.clientX - r.left, event.clientY - r.top);
        }
      }, { passive: false });
      frame.addEventListener("keydown", function (event) {
        var pans = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
        if (event.key === "+" || event.key === "=") {
          step(1);
        } else if (event.key === "-" || event.key === "_") {
          step(-1);
        } else if (event.key === "0") {
          fit();
        } else if (pans[event.key]) {
          frame.scrollLeft += pans[event.key][0] * PAN_STEP;
          frame.scrollTop += pans[event.key][1] * PAN_STEP;
        } else {
          return;
        }
        event.preventDefault();
      });
    }

    if (svg) {
      svg.classList.add("wf-live");
    }
    if (svg && frame && natural && natural.width > 0 && natural.height > 0) {
      fit();
      controls();
      [["wf-zoom-in", 1], ["wf-zoom-out", -1]].forEach(function (b) {
        var button = document.getElementById(b[0]);
        if (button) {
          button.addEventListener("click", function () {
            step(b[1]);
          });
        }
      });
      var fitButton = document.getElementById("wf-zoom-fit");
      if (fitButton) {
        fitButton.addEventListener("click", fit);
      }
    }

    // A view's rows by service, and each one's chain (from the root cause
    // to it): written out, or as the chain of the service before it plus
    // itself (interactive.rs).
    function lookup(view) {
      var rows = {};
      var chains = {};
      (view ? view.affected : []).forEach(function (r) {
        rows[r[0]] = r;
      });
      function chain(i) {
        if (!chains[i]) {
          var c = rows[i] ? rows[i][5] : null;
          if (c === null) {
            chains[i] = [];
          } else if (typeof c === "number") {
            chains[i] = chain(c).concat([i]);
          } else {
            chains[i] = c;
          }
        }
        return chains[i];
      }
      return { rows: rows, chain: chain };
    }

    function nodeText(i, state, success) {
      var base = data.details[i] || "";
      var status = state < 0 ? "" : STATES[state].toUpperCase() + (success ? " " + success : "");
      var text = status && base ? status + " \u00b7 " + base : status || base;
      return text.length > DETAIL_MAX ? text.slice(0, DETAIL_MAX - 1) + "\u2026" : text;
    }

    function drawPicture(view, selected) {
      var found = lookup(view);
      var rows = found.rows;
      var targets = {};
      (view ? view.targets : []).forEach(function (t) {
        targets[t] = true;
      });
      nodes.forEach(function (g, i) {
        var row = rows[i];
        var state = view ? (row ? row[1] : 0) : -1;
        var name = state < 0 ? "none" : STATES[state];
        STATE_CLASSES.forEach(function (c) {
          g.classList.remove(c);
        });
        g.classList.add("st-" + name);
        g.setAttribute("data-state", name);
        g.classList.toggle("wf-target", targets[i] === true);
        if (faults) {
          g.setAttribute("aria-pressed", i === selected ? "true" : "false");
        }
        if (details[i]) {
          details[i].textContent = nodeText(i, state, row ? data.texts[row[2]] : "");
        }
      });
      var causal = {};
      Object.keys(rows).forEach(function (k) {
        var chain = found.chain(Number(k));
        for (var j = 0; j + 1 < chain.length; j++) {
          causal[chain[j + 1] + ">" + chain[j]] = true;
        }
      });
      edges.forEach(function (e) {
        var key = e.getAttribute("data-from") + ">" + e.getAttribute("data-to");
        e.classList.toggle("wf-causal", causal[key] === true);
      });
    }

    function drawPanel(view) {
      clear(panel.entries);
      clear(panel.affected);
      panel.warning.hidden = true;
      if (!view) {
        panel.title.textContent = faults
          ? "No fault yet: click a service to fail it"
          : "No fault";
        panel.summary.textContent = count + " services";
        data.entries.forEach(function (name) {
          var tr = element("tr");
          tr.appendChild(element("td", "wf-row-name", name));
          panel.entries.appendChild(tr);
        });
        return;
      }
      panel.title.textContent = view.label || "(no faults)";
      panel.summary.textContent = view.summary[0] + " healthy \u00b7 " + view.summary[1] +
        " slow \u00b7 " + view.summary[2] + " degraded \u00b7 " + view.summary[3] + " down";
      if (!view.converged) {
        panel.warning.textContent =
          "The steady state did not settle; figures are the last pass's.";
        panel.warning.hidden = false;
      }
      view.entries.forEach(function (entry, k) {
        var tr = element("tr");
        tr.setAttribute("data-state", STATES[entry[0]]);
        tr.appendChild(element("td", "wf-row-name", data.entries[k]));
        var cell = element("td");
        cell.appendChild(badge(entry[0]));
        tr.appendChild(cell);
        tr.appendChild(element("td", "n", data.texts[entry[1]]));
        panel.entries.appendChild(tr);
      });
      var found = lookup(view);
      var rows = view.affected.slice().sort(function (a, b) {
        return b[1] - a[1] || a[0] - b[0];
      });
      if (rows.length === 0) {
        panel.affected.appendChild(element("li", "", "none: every service is healthy"));
      }
      rows.forEach(function (r) {
        var li = element("li");
        li.setAttribute("data-service", String(r[0]));
        li.setAttribute("data-state", STATES[r[1]]);
        var head = element("div");
        head.appendChild(element("span", "wf-row-name", data.services[r[0]]));
        head.appendChild(badge(r[1]));
        head.appendChild(element("span", "wf-figures", data.texts[r[2]] + " \u00b7 " + data.texts[r[3]]));
        li.appendChild(head);
        var because = data.texts[r[4]];
        if (because) {
          li.appendChild(element("p", "wf-because", because));
        }
        var ids = found.chain(r[0]);
        if (ids.length > 1) {
          // As in the CLI's text: a chain of more than 16 names keeps its
          // first and last 8 (docs/engine.md).
          var shown = ids.length > 16 ? ids.slice(0, 8).concat([-1], ids.slice(-8)) : ids;
          var chain = shown.map(function (s) {
            return s < 0 ? "\u2026 " + (ids.length - 16) + " more \u2026" : data.services[s];
          });
          li.appendChild(element("p", "wf-chain", "chain: " + chain.join(" \u2192 ")));
        }
        panel.affected.appendChild(li);
      });
    }

    // The page's heading (run's page) and title name the faults shown.
    var heading = document.querySelector(".wf-faults");
    var pageTitle = document.title;
    var openingLabel = data.initial && data.initial.label ? data.initial.label : "(no faults)";

    function show(view, selected) {
      drawPicture(view, selected);
      drawPanel(view);
      var label = view && view.label ? view.label : "(no faults)";
      if (heading) {
        heading.textContent = label;
      }
      document.title = pageTitle.split(openingLabel).join(label);
    }

    function reset() {
      show(data.initial, -1);
    }

    function select(i) {
      show(faults[i], i);
    }

    if (faults) {
      nodes.forEach(function (g, i) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", "fail " + data.services[i]);
        g.addEventListener("click", function () {
          select(i);
        });
        g.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            select(i);
          }
        });
      });
      var button = document.getElementById("wf-reset");
      if (button) {
        button.addEventListener("click", reset);
      }
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          reset();
        }
      });
    }
    reset();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

import Foundation
import Localization
import Notebook

/// The class page: one HTML file, its style and its script, all served by the lesson (nothing
/// from elsewhere, so it works without a network). The page shows the lesson as the notebook
/// export does, follows the teacher's place live, and on the teacher's page (opened with the
/// token) drives the lesson: keys and buttons for next and back, a click on any cell or picture
/// to show it, a layer of the network's diagram to go to its walk-through step, another test
/// image or the inside of a block at a walk-through step, and training paused, resumed or ended
/// after the epoch under way. Anyone can open a picture full size (the export's zoom).
enum ClassPage {
    static let htmlTemplate = """
    <!doctype html>
    <html lang="{{lang}}">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Convbook class</title>
    <link rel="stylesheet" href="/class.css">
    </head>
    <body>
    <header id="bar">
      <div class="row">
        <strong id="title">Convbook</strong>
        <span id="role" class="badge">{{student}}</span>
        <span id="link" class="dot" title="{{connection}}"></span>
        <span id="waiting"></span>
        <span class="spacer"></span>
        <button id="follow" hidden>{{follow}}</button>
      </div>
      <div class="row" id="teacher" hidden>
        <button id="back" title="{{back}} (←)">◀ {{back}}</button>
        <button id="next" title="{{next}} (→, Space)">{{next}} ▶</button>
        <button id="newest" title="{{newestTitle}} (End)">{{newest}}</button>
        <span class="group" id="explore">
          <label>{{testImage}} <input id="image" type="number" min="0" value="0"></label>
          <button id="show-image">{{show}}</button>
          <select id="class"></select>
          <button id="next-of-class">{{nextOfClass}}</button>
          <button id="inside" title="{{inside}} (i)">{{inside}}</button>
        </span>
        <span class="group" id="training-controls">
          <button id="pause" title="{{pauseTitle}} (p)">{{pause}}</button>
          <button id="stop-after-epoch">{{stopAfterEpoch}}</button>
        </span>
        <span id="message"></span>
      </div>
      <div class="row" id="progress" hidden>
        <span id="epoch"></span>
        <span class="meter"><span id="fill"></span></span>
        <span id="figures"></span>
      </div>
    </header>
    <main id="lesson"></main>
    <script src="/class.js"></script>
    </body>
    </html>
    """

    /// The page's own words (the lesson's come from its run), in the run's language: filled into
    /// the page as `{{key}}` and given to its script as `words.key`.
    static let words: [String: Localized] = [
        "student": Localized("student", zh: "学生"), "teacher": Localized("teacher", zh: "教师"),
        "connection": Localized("connection", zh: "连接"), "follow": Localized("Follow the teacher", zh: "跟随教师"),
        "back": Localized("Back", zh: "后退"), "next": Localized("Next", zh: "下一步"),
        "newest": Localized("Newest", zh: "最新"), "newestTitle": Localized("The newest", zh: "最新的一步"),
        "testImage": Localized("Test image", zh: "测试图像"), "show": Localized("Show", zh: "显示"),
        "nextOfClass": Localized("Next of class", zh: "该类的下一张"), "inside": Localized("Inside the block", zh: "块内部"),
        "pause": Localized("Pause", zh: "暂停"), "resume": Localized("Resume", zh: "继续"),
        "pauseTitle": Localized("Pause or resume training", zh: "暂停或继续训练"),
        "stopAfterEpoch": Localized("Stop after this epoch", zh: "本轮结束后停止"),
        "notReached": Localized("The walk-through has not reached layer %d yet.", zh: "逐层演示还没有走到第 %d 层。"),
        "over": Localized("The lesson is over.", zh: "本课已结束。"), "waiting": Localized("Waiting: ", zh: "等待："),
        "paused": Localized("Training paused", zh: "训练已暂停"), "epoch": Localized("epoch", zh: "轮"),
        "batch": Localized("batch", zh: "批次"), "comma": Localized(", ", zh: "，"),
    ]

    /// The page in `language`.
    static func html(in language: Language) -> String {
        words.reduce(htmlTemplate.replacingOccurrences(of: "{{lang}}", with: language.tag)) { page, word in
            page.replacingOccurrences(of: "{{\(word.key)}}", with: NotebookExport.escape(word.value.text(in: language)))
        }
    }

    /// The script, with its words in `language` (after `"use strict"`, which must come first).
    static func script(in language: Language) -> String {
        let table = words.mapValues { $0.text(in: language) }
        let json = (try? JSONSerialization.data(withJSONObject: table, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        let strict = "\"use strict\";\n"
        return strict + "const words = \(json);\n" + scriptTemplate.dropFirst(strict.count) + NotebookExport.zoomScript(in: language)
    }

    static let style = NotebookExport.style + """
    body { background: #eef0f3; }
    main { margin-top: 12px; }
    #bar { position: sticky; top: 0; z-index: 10; background: #1f2933; color: #f5f7fa;
           font: 14px/1.4 system-ui, "DejaVu Sans", sans-serif; padding: 6px 14px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
    #bar .row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; padding: 3px 0; }
    #bar .row[hidden], #bar button[hidden] { display: none; }
    #bar .spacer { flex: 1; }
    #bar button, #bar select, #bar input { font: inherit; border-radius: 5px; border: 1px solid #52606d; background: #323f4b; color: #f5f7fa; padding: 3px 9px; }
    #bar button:hover:enabled { background: #3e4c59; }
    #bar button:disabled { opacity: .45; }
    #bar input { width: 5em; }
    #bar .group { display: inline-flex; gap: 6px; align-items: center; border-left: 1px solid #52606d; padding-left: 10px; }
    .badge { background: #52606d; border-radius: 9px; padding: 0 8px; font-size: 12px; }
    .badge.teacher { background: #c05621; }
    .dot { width: 10px; height: 10px; border-radius: 50%; background: #c92a2a; display: inline-block; }
    .dot.on { background: #2f9e44; }
    #waiting { color: #f0b429; }
    #message { color: #ffb3b3; }
    #progress .meter { flex: 1; max-width: 420px; height: 10px; background: #52606d; border-radius: 5px; overflow: hidden; }
    #fill { display: block; height: 100%; width: 0; background: #f0b429; }
    main section, main p.note { scroll-margin-top: 140px; }
    .output { white-space: pre-wrap; overflow-wrap: anywhere; }
    .entry.current { outline: 3px solid #f0b429; outline-offset: 4px; border-radius: 4px; }
    body.teacher .entry { cursor: pointer; }
    .note { font: 13px system-ui, "DejaVu Sans", sans-serif; color: #888; }
    figure .link { position: absolute; border-radius: 4px; }
    body.teacher figure .link:hover { outline: 2px solid #f0b429; background: rgba(240,180,41,.15); cursor: pointer; }
    """

    static let scriptTemplate = """
    "use strict";
    // The class page: follows the lesson's live feed; the teacher's page (opened with ?token=)
    // also drives it.
    const params = new URLSearchParams(location.search);
    const token = params.get("token") || sessionStorage.getItem("convbook-token");
    if (token) sessionStorage.setItem("convbook-token", token);
    const teacher = !!token;
    const $ = (id) => document.getElementById(id);
    const lesson = $("lesson");
    let head = null, entries = [], following = true, fetching = false;
    const classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    document.body.classList.toggle("teacher", teacher);
    $("role").textContent = teacher ? words.teacher : words.student;
    $("role").classList.toggle("teacher", teacher);
    $("teacher").hidden = !teacher;
    classes.forEach((name, i) => { const o = document.createElement("option"); o.value = i; o.textContent = name; $("class").append(o); });

    // Entries: a prose or code cell opens a section; outputs and pictures go into the last one.
    function addEntry(entry, index) {
      let node;
      if (entry.kind === "prose" || entry.kind === "code") {
        node = document.createElement("section");
        node.className = entry.kind === "prose" ? "prose" : "cell";
        node.innerHTML = entry.html;
        lesson.append(node);
      } else {
        const holder = document.createElement("div");
        holder.innerHTML = entry.html;
        node = holder.firstElementChild || holder;
        const section = lesson.lastElementChild;
        (section && section.classList.contains("cell") && entry.kind !== "note" ? section : lesson).append(node);
      }
      node.classList.add("entry");
      node.dataset.entry = index;
      if (entry.picture) {
        const img = node.querySelector("img");
        img.dataset.picture = entry.picture;
        img.src = pictureURL(entry.picture);
        (entry.links || []).forEach((link) => {
          const a = document.createElement("span");
          a.className = "link";
          Object.assign(a.style, { left: link.x * 100 + "%", top: link.y * 100 + "%", width: link.width * 100 + "%", height: link.height * 100 + "%" });
          a.title = "layer " + link.layer;
          a.addEventListener("click", (event) => { event.stopPropagation(); goToLayer(link.layer); });
          node.append(a);
        });
      }
      node.addEventListener("click", () => { if (teacher) command({ action: "jump", entry: index }); });
    }

    function pictureURL(name) { return "/picture/" + encodeURIComponent(name) + "?v=" + ((head && head.redrawings[name]) || 0); }

    // A layer's box in the network's diagram leads to its walk-through step, once shown.
    function goToLayer(layer) {
      const prefix = "step-" + (layer + 1) + "-";
      const found = entries.findIndex((e) => e.picture && e.picture.startsWith(prefix));
      if (found >= 0) command({ action: "jump", entry: found });
      else say(words.notReached.replace("%d", layer));
    }

    async function fetchEntries() {
      if (fetching) return;
      fetching = true;
      try {
        while (head && entries.length < head.entries) {
          const response = await fetch("/state?from=" + entries.length, { cache: "no-store" });
          const page = await response.json();
          if (page.from !== entries.length) break;
          page.entries.forEach((entry) => { addEntry(entry, entries.length); entries.push(entry); });
          if (page.entries.length === 0) break;
        }
      } finally { fetching = false; }
      show();
    }

    function show() {
      if (!head) return;
      document.title = head.title + " · Convbook class";
      $("title").textContent = head.title;
      $("waiting").textContent = head.finished ? words.over : head.waiting ? words.waiting + head.waiting
        : head.paused ? words.paused : head.status || "";
      for (const img of lesson.querySelectorAll("img[data-picture]")) {
        const url = pictureURL(img.dataset.picture);
        if (!img.src.endsWith(url)) img.src = url;
      }
      const p = head.progress;
      $("progress").hidden = !p;
      if (p) {
        const done = ((p.epoch - 1) * p.batches + p.batch) / (p.epochs * p.batches);
        $("fill").style.width = (100 * done).toFixed(1) + "%";
        $("epoch").textContent = words.epoch + " " + p.epoch + "/" + p.epochs + words.comma + words.batch + " " + p.batch + "/" + p.batches;
        $("figures").textContent = "loss " + p.loss.toFixed(3) + " · acc " + p.accuracy.toFixed(3) + " · "
          + Math.round(p.examplesPerSecond) + " ex/s" + (p.remaining != null ? " · ETA " + clock(p.remaining) : "");
      }
      $("pause").textContent = head.paused ? words.resume : words.pause;
      $("stop-after-epoch").disabled = !p || head.stopAfterEpoch;
      $("pause").disabled = !p;
      $("next").disabled = head.view == null && !head.waiting;
      for (const id of ["show-image", "next-of-class", "inside"]) $(id).disabled = !head.exploring;
      const current = head.view == null ? entries.length - 1 : head.view;
      for (const node of lesson.querySelectorAll(".entry.current")) node.classList.remove("current");
      const node = lesson.querySelector('[data-entry="' + current + '"]');
      if (node) {
        node.classList.add("current");
        if (following || teacher) node.scrollIntoView({ behavior: "smooth", block: head.view == null ? "end" : "start" });
      }
      $("follow").hidden = teacher || following;
    }

    function clock(seconds) {
      const s = Math.round(seconds);
      const two = (n) => String(n).padStart(2, "0");
      return s >= 3600 ? Math.floor(s / 3600) + ":" + two(Math.floor(s / 60) % 60) + ":" + two(s % 60) : Math.floor(s / 60) + ":" + two(s % 60);
    }

    function say(text) { $("message").textContent = text; setTimeout(() => { if ($("message").textContent === text) $("message").textContent = ""; }, 4000); }

    async function command(body) {
      if (!teacher) return;
      const response = await fetch("/command", { method: "POST", headers: { "Content-Type": "application/json", "X-Class-Token": token }, body: JSON.stringify(body) });
      if (!response.ok) say(await response.text());
    }

    // The live feed: a whole head after every change; entries fetched as they come.
    function connect() {
      const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/follow");
      socket.onopen = () => $("link").classList.add("on");
      socket.onmessage = (event) => { head = JSON.parse(event.data); if (entries.length < head.entries) fetchEntries(); else show(); };
      socket.onclose = () => { $("link").classList.remove("on"); setTimeout(connect, 1000); };
    }
    connect();

    // A student who scrolls away stops following until they ask again.
    for (const type of ["wheel", "touchmove"]) addEventListener(type, () => { if (!teacher && following) { following = false; show(); } }, { passive: true });
    $("follow").addEventListener("click", () => { following = true; show(); });

    $("back").addEventListener("click", () => command({ action: "back" }));
    $("next").addEventListener("click", () => command({ action: "next" }));
    $("newest").addEventListener("click", () => command({ action: "follow" }));
    $("show-image").addEventListener("click", () => command({ action: "image", image: Number($("image").value) }));
    $("next-of-class").addEventListener("click", () => command({ action: "class", class: Number($("class").value) }));
    $("inside").addEventListener("click", () => command({ action: "inside" }));
    $("pause").addEventListener("click", () => command({ action: head && head.paused ? "resume" : "pause" }));
    $("stop-after-epoch").addEventListener("click", () => command({ action: "stop-after-epoch" }));
    addEventListener("keydown", (event) => {
      if (!teacher || event.target.tagName === "INPUT" || event.target.tagName === "SELECT") return;
      const keys = { ArrowRight: "next", " ": "next", Enter: "next", PageDown: "next", ArrowLeft: "back", PageUp: "back", End: "follow", i: "inside" };
      if (keys[event.key]) { event.preventDefault(); command({ action: keys[event.key] }); }
      if (event.key === "p") command({ action: head && head.paused ? "resume" : "pause" });
    });
    """
}

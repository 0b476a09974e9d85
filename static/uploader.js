// Portal's uploader: a progressive enhancement of the upload form.
//
// Without this file the form posts all chosen files at once and the page
// waits. With it, each file goes in its own request (so each has its own
// progress, speed, cancel button and error), three at a time, to the same URL
// the form posts to, asking for JSON. Files and whole folders can be dropped
// onto the file list; a folder's tree is sent along as each file's
// `directory`, and the server recreates it. No framework, no inline script.
(function () {
  "use strict";

  var CONCURRENCY = 3; // enough to fill a link, few enough that each file moves

  var form = document.getElementById("upload-form");
  var queueList = document.getElementById("upload-queue");
  if (!form || !queueList || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var listing = document.getElementById("listing");
  var input = form.querySelector("input[type=file]");
  var url = form.getAttribute("action") || window.location.pathname;
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxSize = Number(form.getAttribute("data-max-size")) || Infinity;

  var pending = [];
  var running = 0;
  var storedSinceRefresh = 0;

  function humanSize(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return (i === 0 ? String(Math.round(bytes)) : bytes.toFixed(1)) + "\u00a0" + units[i];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function enqueue(file, directory) {
    var shownName = directory ? directory + "/" + file.name : file.name;
    var item = {
      file: file,
      directory: directory || "",
      li: element("li", "queued"),
      name: element("span", "q-name", shownName),
      cancel: element("button", "", "Cancel"),
      progress: element("progress"),
      status: element("span", "q-status", "Waiting…"),
      xhr: null,
      state: "queued",
    };
    item.cancel.type = "button";
    item.cancel.setAttribute("aria-label", "Cancel " + shownName);
    item.progress.max = 100;
    item.progress.value = 0;
    item.progress.setAttribute("aria-label", "Progress of " + shownName);
    item.li.append(item.name, item.cancel, item.progress, item.status);
    item.cancel.addEventListener("click", function () {
      cancel(item);
    });
    queueList.append(item.li);
    // The server refuses it too; saying so now spares sending gigabytes first.
    if (file.size > maxSize) {
      finish(item, "failed", file.name + " is " + humanSize(file.size) +
        "; the largest file allowed is " + humanSize(maxSize) + ".");
      return;
    }
    pending.push(item);
  }

  function pump() {
    while (running < CONCURRENCY && pending.length > 0) {
      start(pending.shift());
    }
    if (running === 0 && pending.length === 0) {
      allDone();
    }
  }

  function start(item) {
    running += 1;
    item.state = "running";
    item.li.className = "running";
    item.status.textContent = "0%";
    var data = new FormData();
    data.append("file", item.file, item.file.name);
    if (item.directory) data.append("directory", item.directory);
    // The form's other fields (a drop link's "Your name") go with every file.
    form.querySelectorAll("input[name]:not([type=file]), select[name]").forEach(function (field) {
      // A choice (Replace / Keep both) sends the option chosen only.
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
      if (field.name !== "csrfmiddlewaretoken" && field.name !== "directory") {
        data.append(field.name, field.value);
      }
    });
    var xhr = new XMLHttpRequest();
    item.xhr = xhr;
    var startedAt = performance.now();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || item.state !== "running") return;
      var percent = Math.min(99, Math.floor((event.loaded / event.total) * 100));
      var seconds = (performance.now() - startedAt) / 1000;
      item.progress.value = percent;
      item.status.textContent = percent + "%" +
        (seconds > 0.2 ? " · " + humanSize(event.loaded / seconds) + "/s" : "");
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null; // nginx's 413 page, a proxy's 502: not ours
      }
      if (xhr.status === 201) {
        storedSinceRefresh += 1;
        item.progress.value = 100;
        // The name was taken there: the server kept both, under a new name.
        var stored = answer && answer.files && answer.files[0];
        var renamed = stored && stored.sent_name && stored.name !== stored.sent_name;
        finish(item, "done", renamed ? "Uploaded as " + stored.name : "Uploaded");
      } else {
        finish(item, "failed", errorMessage(xhr, answer));
      }
    });
    xhr.addEventListener("error", function () {
      finish(item, "failed", "The connection failed; try again.");
    });
    xhr.addEventListener("abort", function () {
      finish(item, "cancelled", "Cancelled");
    });
    xhr.send(data);
  }

  function errorMessage(xhr, answer) {
    if (answer && answer.errors && answer.errors.length) {
      return answer.errors.map(function (error) { return error.message; }).join(" ");
    }
    if (xhr.status === 413) return "Too large for the server.";
    // Signed out meanwhile: the login redirect was followed to the login page.
    var toLogin = xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1;
    if (xhr.status === 403 || toLogin) {
      return "Your session has ended: reload the page and log in again.";
    }
    return "The server answered " + xhr.status + " " + xhr.statusText + ".";
  }

  function cancel(item) {
    if (item.state === "queued") {
      pending.splice(pending.indexOf(item), 1);
      finish(item, "cancelled", "Cancelled");
    } else if (item.state === "running") {
      item.xhr.abort(); // its abort handler finishes it
    }
  }

  function finish(item, state, text) {
    var wasRunning = item.state === "running";
    if (item.state === "done" || item.state === "failed" || item.state === "cancelled") return;
    item.state = state;
    item.li.className = state;
    item.status.textContent = text;
    item.cancel.remove();
    if (state !== "done") item.progress.remove();
    if (wasRunning) {
      running -= 1;
      pump();
    }
  }

  // When the queue drains, show the new files: the list is fetched again and
  // swapped in, so sorting, paging and the usage line stay the server's.
  function allDone() {
    if (storedSinceRefresh === 0) return;
    storedSinceRefresh = 0;
    // A drop box has no listing, only the usage bar to bring up to date.
    if (!listing && !document.querySelector(".usage")) {
      return;
    }
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshListing = fresh.getElementById("listing");
        if (listing && freshListing) listing.innerHTML = freshListing.innerHTML;
        var usage = document.querySelector(".usage");
        var freshUsage = fresh.querySelector(".usage");
        if (usage && freshUsage) usage.innerHTML = freshUsage.innerHTML;
      });
  }

  function addFiles(files) {
    for (var i = 0; i < files.length; i += 1) {
      var file = files[i];
      // A file from the folder picker knows its path inside the chosen folder.
      var relative = file.webkitRelativePath || "";
      enqueue(file, relative.split("/").slice(0, -1).join("/"));
    }
    pump();
  }

  // A dropped directory is read entry by entry; readEntries() returns at most
  // 100 children per call, so it is called until it returns none.
  function walk(entry, directory, done) {
    if (entry.isFile) {
      entry.file(function (file) {
        enqueue(file, directory);
        done();
      }, done);
      return;
    }
    var below = directory ? directory + "/" + entry.name : entry.name;
    var reader = entry.createReader();
    var children = [];
    (function readBatch() {
      reader.readEntries(function (batch) {
        if (batch.length > 0) {
          children = children.concat(Array.prototype.slice.call(batch));
          readBatch();
          return;
        }
        var left = children.length;
        if (left === 0) done();
        children.forEach(function (child) {
          walk(child, below, function () {
            left -= 1;
            if (left === 0) done();
          });
        });
      }, done);
    })();
  }

  function dropped(event) {
    var items = event.dataTransfer.items;
    var entries = [];
    if (items && items.length && items[0].webkitGetAsEntry) {
      // Entries must be taken during the event; reading them can wait.
      for (var i = 0; i < items.length; i += 1) {
        var entry = items[i].kind === "file" ? items[i].webkitGetAsEntry() : null;
        if (entry) entries.push(entry);
      }
    }
    if (entries.length === 0) {
      addFiles(event.dataTransfer.files);
      return;
    }
    var left = entries.length;
    entries.forEach(function (entry) {
      walk(entry, "", function () {
        left -= 1;
        pump();
      });
    });
  }

  // Choosing files starts them: the form's own button has nothing left to do.
  input.removeAttribute("required");
  form.querySelector("button[type=submit]").hidden = true;
  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    addFiles(input.files);
    input.value = "";
  });

  // A whole folder by picking, where the browser can (webkitdirectory).
  if ("webkitdirectory" in input) {
    var folderInput = element("input");
    folderInput.type = "file";
    folderInput.id = "upload-folder";
    folderInput.webkitdirectory = true;
    folderInput.className = "visually-hidden";
    var folderLabel = element("label", "button", "Add a folder");
    folderLabel.htmlFor = "upload-folder";
    folderInput.addEventListener("change", function () {
      addFiles(folderInput.files);
      folderInput.value = "";
    });
    input.after(folderInput, folderLabel);
  }

  if (listing && listing.classList.contains("dropzone")) {
    var depth = 0; // dragenter/dragleave fire for every child crossed
    listing.addEventListener("dragenter", function (event) {
      event.preventDefault();
      depth += 1;
      listing.classList.add("dragging");
    });
    listing.addEventListener("dragover", function (event) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    listing.addEventListener("dragleave", function () {
      depth -= 1;
      if (depth <= 0) {
        depth = 0;
        listing.classList.remove("dragging");
      }
    });
    listing.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      listing.classList.remove("dragging");
      dropped(event);
    });
  }
})();

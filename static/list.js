// The file list's actions: a menu button on every row, renaming and deleting
// in place, and the selection bar's ZIP and Delete.
//
// Without this file nothing is lost: each row's actions are links in a
// <details> (each to the action's own page) and the selection bar moves the
// ticked items by posting its form. With it, each <details> becomes a menu
// button (WAI-ARIA menu button pattern: arrow keys, Home/End, Escape back to
// the button); Rename turns the name into a field and Delete sends the item
// to the trash, both posting to the URL the link's page posts to, asking for
// JSON. What happened is said in #list-status (role=status). No framework, no
// inline script (the page's CSP allows neither).
(function () {
  "use strict";

  var listing = document.getElementById("listing");
  var status = document.getElementById("list-status");
  if (!listing || !status || !window.fetch) return;

  var openMenu = null; // the wrapper of the menu shown, if any

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function announce(text) {
    status.textContent = text;
  }

  // POST `fields` to `url` as a form would, asking for JSON: {ok, answer}.
  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        return { ok: response.ok, status: response.status, answer: answer };
      });
    }, function () {
      return { ok: false, status: 0, answer: null };
    });
  }

  function failure(result) {
    var errors = result.answer && result.answer.errors;
    if (errors && errors.length) {
      return errors.map(function (error) { return error.message; }).join(" ");
    }
    if (result.status === 0) return "The connection failed; try again.";
    if (result.status === 403) return "Your session has ended: reload the page and log in again.";
    if (result.status === 404) return "It is no longer there: reload the page.";
    return "The server answered " + result.status + "; try again.";
  }

  // Menus

  function enhance(root) {
    root.querySelectorAll("details.row-menu").forEach(function (details) {
      var list = details.querySelector("ul");
      var label = details.querySelector("summary .visually-hidden").textContent;
      var wrapper = document.createElement("div");
      wrapper.className = "row-menu";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "row-menu-button";
      button.setAttribute("aria-haspopup", "menu");
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", list.id);
      button.setAttribute("aria-label", label);
      var dots = document.createElement("span");
      dots.setAttribute("aria-hidden", "true");
      dots.textContent = "⋯";
      button.append(dots);
      list.setAttribute("role", "menu");
      list.setAttribute("aria-label", label);
      list.hidden = true;
      list.querySelectorAll("li").forEach(function (li) { li.setAttribute("role", "none"); });
      items(list).forEach(function (link) {
        link.setAttribute("role", "menuitem");
        link.tabIndex = -1;
      });
      wrapper.append(button, list);
      details.replaceWith(wrapper);
    });
    root.querySelectorAll(".pick-all").forEach(function (box) { box.hidden = false; });
    var bar = document.getElementById("move-form");
    if (bar) {
      bar.querySelectorAll("[data-selection]").forEach(function (button) { button.hidden = false; });
    }
    updateBar();
  }

  function items(list) {
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  function openAt(wrapper, index) {
    closeMenu(false);
    var button = wrapper.querySelector(".row-menu-button");
    var list = wrapper.querySelector("[role=menu]");
    list.hidden = false;
    button.setAttribute("aria-expanded", "true");
    openMenu = wrapper;
    var links = items(list);
    links[(index + links.length) % links.length].focus();
  }

  function closeMenu(returnFocus) {
    if (!openMenu) return;
    var button = openMenu.querySelector(".row-menu-button");
    openMenu.querySelector("[role=menu]").hidden = true;
    button.setAttribute("aria-expanded", "false");
    openMenu = null;
    if (returnFocus) button.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".row-menu-button");
    if (button) {
      var wrapper = button.parentElement;
      if (openMenu === wrapper) {
        closeMenu(true);
      } else {
        openAt(wrapper, 0);
      }
      return;
    }
    var link = event.target.closest("[role=menuitem]");
    if (link) {
      closeMenu(false); // a download leaves the page where it is: the menu must not stay open
      if (link.dataset.action) {
        event.preventDefault();
        var item = link.closest(".item");
        if (link.dataset.action === "rename") rename(item, link.dataset.post);
        if (link.dataset.action === "delete") trashOne(item, link.dataset.post);
      }
      return;
    }
    if (openMenu && !openMenu.contains(event.target)) closeMenu(false);
  });

  document.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest(".row-menu-button");
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openAt(button.parentElement, event.key === "ArrowDown" ? 0 : -1);
      return;
    }
    if (!openMenu || !openMenu.contains(event.target)) return;
    var links = items(openMenu.querySelector("[role=menu]"));
    var at = links.indexOf(document.activeElement);
    var moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      links[(moves[event.key] + links.length) % links.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
    } else if (event.key === "Tab") {
      closeMenu(true); // the Tab then goes on from the button
    }
  });

  // Rename in place

  function nameOf(item) {
    return item.getAttribute("data-name");
  }

  function setName(item, name) {
    item.setAttribute("data-name", name);
    item.querySelector(".item-name").textContent = name;
    var label = "Actions for " + name;
    item.querySelector(".row-menu-button").setAttribute("aria-label", label);
    item.querySelector("[role=menu]").setAttribute("aria-label", label);
    var box = item.querySelector("input[type=checkbox]");
    if (box) box.setAttribute("aria-label", "Select " + name);
  }

  function rename(item, url) {
    var shown = item.querySelector(".item-name");
    // In the grid the name is inside the tile's link: the field goes after the link.
    var place = shown.closest(".tile-link") || shown;
    var field = document.createElement("input");
    field.type = "text";
    field.className = "rename-field";
    field.maxLength = 255;
    field.value = nameOf(item);
    field.setAttribute("aria-label", "New name for " + nameOf(item));
    place.hidden = true;
    place.after(field);
    field.focus();
    var dot = field.value.lastIndexOf(".");
    field.setSelectionRange(0, dot > 0 ? dot : field.value.length);
    var busy = false;
    var finished = false;

    // Focus moves before the field goes: its blur then finds the work done.
    function done(focusButton) {
      if (finished) return;
      finished = true;
      place.hidden = false;
      if (focusButton) item.querySelector(".row-menu-button").focus();
      field.remove();
    }

    field.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        done(true);
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (busy) return;
        var wanted = field.value.trim();
        if (wanted === "" || wanted === nameOf(item)) {
          done(true);
          return;
        }
        busy = true;
        post(url, { name: wanted }).then(function (result) {
          busy = false;
          if (result.ok && result.answer) {
            done(true);
            setName(item, result.answer.name);
            announce(result.answer.message);
          } else {
            field.setAttribute("aria-invalid", "true");
            announce(failure(result));
          }
        });
      }
    });
    // Clicking elsewhere leaves the name as it was.
    field.addEventListener("blur", function () {
      if (!busy) done(false);
    });
  }

  // Delete (to the trash) in place

  function neighbour(item) {
    var next = item.nextElementSibling;
    while (next && !next.classList.contains("item")) next = next.nextElementSibling;
    if (next) return next;
    var previous = item.previousElementSibling;
    while (previous && !previous.classList.contains("item")) previous = previous.previousElementSibling;
    return previous;
  }

  // The row goes; focus goes to the next row's menu button (else the page's heading).
  function removeRow(item) {
    var next = neighbour(item);
    item.remove();
    if (next) {
      next.querySelector(".row-menu-button").focus();
    } else {
      var heading = document.querySelector("main h1");
      heading.tabIndex = -1;
      heading.focus();
    }
    updateBar();
  }

  function trashOne(item, url) {
    post(url, {}).then(function (result) {
      if (result.ok && result.answer) {
        removeRow(item);
        announce(result.answer.message);
      } else {
        announce(failure(result));
      }
    });
  }

  // The selection bar

  function picked() {
    return Array.prototype.slice.call(listing.querySelectorAll("input[form=move-form]:checked"));
  }

  function updateBar() {
    var bar = document.getElementById("move-form");
    if (!bar) return;
    var boxes = listing.querySelectorAll("input[form=move-form]");
    var chosen = picked();
    var count = bar.querySelector(".selection-count");
    if (!count.hasAttribute("data-idle")) count.setAttribute("data-idle", count.textContent);
    count.textContent = chosen.length ? chosen.length + " selected" : count.getAttribute("data-idle");
    bar.hidden = chosen.length === 0;
    var all = listing.querySelector(".pick-all");
    if (all) {
      all.checked = boxes.length > 0 && chosen.length === boxes.length;
      all.indeterminate = chosen.length > 0 && chosen.length < boxes.length;
    }
  }

  listing.addEventListener("change", function (event) {
    if (event.target.classList.contains("pick-all")) {
      listing.querySelectorAll("input[form=move-form]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    updateBar();
  });

  listing.addEventListener("click", function (event) {
    var button = event.target.closest("[data-selection]");
    if (!button) return;
    var chosen = picked();
    if (chosen.length === 0) return;
    if (button.dataset.selection === "zip") {
      var query = new URLSearchParams();
      chosen.forEach(function (box) { query.append(box.name, box.value); });
      // The archive is an attachment: the page stays where it is.
      window.location.assign(button.form.dataset.zipUrl + "?" + query.toString());
    } else if (button.dataset.selection === "delete") {
      trashPicked(chosen);
    }
  });

  // One request per item, to the URL its own Delete posts to: no second way of deleting.
  function trashPicked(chosen) {
    var gone = 0;
    var refused = [];
    var work = chosen.map(function (box) { return box.closest(".item"); });
    (function next() {
      var item = work.shift();
      if (!item) {
        var said = gone === 1 ? "Moved 1 item to the trash." : "Moved " + gone + " items to the trash.";
        announce(said + (refused.length ? " " + refused.join(" ") : ""));
        return;
      }
      var link = item.querySelector("[data-action=delete]");
      post(link.dataset.post, {}).then(function (result) {
        if (result.ok) {
          gone += 1;
          removeRow(item);
        } else {
          refused.push(nameOf(item) + ": " + failure(result));
        }
        next();
      });
    })();
  }

  // New folder: the field gets focus when the button opens it; Escape closes it.
  document.querySelectorAll("details.new-folder").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (details.open) details.querySelector("input[name=name]").focus();
    });
    details.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
  });

  enhance(document);
  // static/uploader.js swaps in a fresh listing after uploads: its menus are new.
  document.addEventListener("portal:listing-replaced", function () { enhance(listing); });
})();

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The isoboot-web admin page in a real browser: headless Chromium driven by Selenium.

    browser-test.py --url https://127.0.0.1:PORT/ --user admin --password-file FILE \\
        --iso PATH --artefacts DIR [--menu-url http://127.0.0.1:PORT2/boot.ipxe] [--hold DIR]

Logs in (a wrong password first), uploads --iso through the page's file input, waits for it in
the ISO list (and in the iPXE menu with --menu-url), deletes it with its Delete button, logs out.
With --hold, once the ISO is listed it writes DIR/ready and waits (up to 10 min) for DIR/go
before deleting it, so that the caller can use the uploaded ISO (the story test PXE-boots it);
a DIR/go that does not say "ok" is a failed check.
Prints one TAP line per check ("ok N - ..." / "not ok N - ..."), exits 1 if any failed.
Screenshots (login, list, uploading, uploaded, and one per failed check), the browser's console
log and a summary go to --artefacts. Debian packages: chromium chromium-driver python3-selenium.
"""
import argparse
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30        # s, for the page to react
UPLOAD_WAIT = 60  # s, for the upload to finish
HOLD_WAIT = 600  # s, for the caller's step with --hold
LIST_WAIT = 20   # s, for the catalog and the menu to follow an upload or a delete

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--url", required=True)
ap.add_argument("--user", required=True)
ap.add_argument("--password-file", required=True)
ap.add_argument("--iso", required=True)
ap.add_argument("--artefacts", required=True)
ap.add_argument("--menu-url")
ap.add_argument("--hold")
args = ap.parse_args()

with open(args.password_file, encoding="utf-8") as f:
    password = f.read().rstrip("\r\n")
iso_file = os.path.basename(args.iso)
iso_name = iso_file[:-4] if iso_file.lower().endswith(".iso") else iso_file
os.makedirs(args.artefacts, exist_ok=True)
for old in os.listdir(args.artefacts):  # this test's own files from an earlier run
    if old in ("login.png", "list.png", "uploading.png", "uploaded.png", "browser-console.log",
               "summary.txt") or (old.startswith("fail-") and old.endswith(".png")):
        os.remove(os.path.join(args.artefacts, old))

checks = ["the login form is shown", "a wrong password shows an error",
          "the right password shows the ISO list", "the upload gets a progress row",
          "the upload finishes (data-state=done, progress full)",
          "the progress log has several increasing samples ending at the total",
          "the ISO appears in the list"]
if args.menu_url:
    checks.append("the ISO appears in the iPXE menu")
if args.hold:
    checks.append("the caller's step with the uploaded ISO succeeded (--hold)")
checks.append("Delete removes the ISO from the list")
if args.menu_url:
    checks.append("the ISO leaves the iPXE menu")
checks.append("Log out shows the login form again")
print("1..%d" % len(checks), flush=True)
failed = []
number = 0


class Fail(Exception):
    pass


def shot(name):
    try:
        driver.save_screenshot(os.path.join(args.artefacts, name))
    except WebDriverException as e:
        print("# screenshot %s: %s" % (name, e.msg), flush=True)


def check(needs=()):
    """Runs the decorated function at once as the next check, and binds its name to the check's
    number. A check that needs one that failed is not run."""
    def run(fn):
        global number
        number += 1
        what = checks[number - 1]
        missing = [n for n in needs if n in failed]
        try:
            if missing:
                raise Fail("not run: check %s failed" % ", ".join(map(str, missing)))
            fn()
            print("ok %d - %s" % (number, what), flush=True)
        except Exception as e:  # any failure, even a bug here, is this check's
            failed.append(number)
            # Selenium's own message without chromedriver's stack trace.
            msg = (e.msg if isinstance(e, WebDriverException) else str(e)) or type(e).__name__
            msg = msg.strip().replace("\n", "\n#   ")
            print("not ok %d - %s\n#   %s" % (number, what, msg), flush=True)
            if not missing:
                shot("fail-%02d.png" % number)
        return number
    return run


def wait(seconds, cond, message):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(cond, message)


def js(script, *a):
    return driver.execute_script(script, *a)


def iso_row():
    """The list's row for the uploaded ISO (by file name), or None. One script, so that a list
    redrawn meanwhile cannot leave a stale element half-way."""
    return js("var f = arguments[0];"
              "var c = Array.from(document.querySelectorAll('#isos td.file'))"
              ".find(function (td) { return td.textContent.trim() === f; });"
              "return c ? c.closest('tr') : null;", iso_file)


def menu_has_name():
    with urllib.request.urlopen(args.menu_url, timeout=10) as r:
        return iso_name in r.read().decode("utf-8", "replace")


def poll(seconds, fn):
    end = time.monotonic() + seconds
    while True:
        if fn():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.5)


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--ignore-certificate-errors", "--window-size=1280,900",
          "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
try:
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
except WebDriverException as e:
    print("not ok 1 - %s\n#   cannot start chromium: %s" % (checks[0], e.msg), flush=True)
    sys.exit(1)
driver.set_page_load_timeout(WAIT)
driver.set_script_timeout(WAIT)

try:
    @check()
    def c_login_form():
        driver.get(args.url)
        wait(WAIT, EC.visibility_of_element_located((By.ID, "login-form")), "no login form")
        shot("login.png")

    @check(needs=[c_login_form])
    def c_wrong_password():
        driver.find_element(By.ID, "login-user").send_keys(args.user)
        driver.find_element(By.ID, "login-password").send_keys(password + "-wrong")
        driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        err = wait(WAIT, lambda d: d.find_element(By.ID, "login-error").text.strip(),
                   "no error shown")
        print("#   shown: %s" % err, flush=True)
        if driver.find_element(By.ID, "app").is_displayed():
            raise Fail("the admin page is shown after a wrong password")

    @check(needs=[c_login_form])
    def c_login():
        pw = driver.find_element(By.ID, "login-password")
        pw.clear()
        pw.send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        wait(WAIT, EC.visibility_of_element_located((By.ID, "iso-table")),
             "the ISO list is not shown")
        wait(WAIT, lambda d: d.find_element(By.ID, "iso-table").get_attribute("data-loaded") == "1",
             "the ISO list was not loaded")
        who = driver.find_element(By.ID, "who").text
        if who != args.user:
            raise Fail("header shows user %r" % who)
        shot("list.png")

    row_sel = "#uploads li[data-file='%s']" % iso_file.replace("\\", "\\\\").replace("'", "\\'")

    def row_state():
        return driver.find_element(By.CSS_SELECTOR, row_sel).get_attribute("data-state")

    @check(needs=[c_login])
    def c_upload_row():
        if iso_row() is not None:
            raise Fail("%s is already in the list: remove it first" % iso_file)
        js("window.isobootProgressLog.length = 0;")
        driver.find_element(By.ID, "iso-file").send_keys(os.path.abspath(args.iso))
        wait(WAIT, EC.presence_of_element_located((By.CSS_SELECTOR, row_sel)), "no upload row")
        if row_state() in ("queued", "uploading"):
            shot("uploading.png")
        else:
            print("#   the upload was over before a screenshot could be taken", flush=True)

    @check(needs=[c_upload_row])
    def c_upload_done():
        wait(UPLOAD_WAIT, lambda d: row_state() in ("done", "error"),
             "the upload did not finish in %d s" % UPLOAD_WAIT)
        row = driver.find_element(By.CSS_SELECTOR, row_sel)
        shot("uploaded.png")
        if row.get_attribute("data-state") != "done":
            raise Fail("upload failed: %s" % row.find_element(By.CSS_SELECTOR, ".result").text)
        bar = row.find_element(By.TAG_NAME, "progress")
        value, top = float(bar.get_attribute("value")), float(bar.get_attribute("max"))
        if value != top or top != os.path.getsize(args.iso):
            raise Fail("progress %s of %s, file size %d" % (value, top, os.path.getsize(args.iso)))

    @check(needs=[c_upload_done])
    def c_progress_log():
        log = js("var f = arguments[0];"
                 "return window.isobootProgressLog.filter(function (s) { return s.file === f; });",
                 iso_file)
        size = os.path.getsize(args.iso)
        shown = ", ".join(str(s["loaded"]) for s in log[:20]) + (", ..." if len(log) > 20 else "")
        print("#   %d progress samples, loaded: %s" % (len(log), shown), flush=True)
        if len(log) < 2:
            raise Fail("only %d progress sample(s) arrived: the upload was too fast to show "
                       "progress; pass a larger --iso (this one is %d bytes)" % (len(log), size))
        loaded = [s["loaded"] for s in log]
        if any(b <= a for a, b in zip(loaded, loaded[1:])):
            raise Fail("loaded does not increase: %s" % loaded)
        if loaded[-1] != log[-1]["total"] or log[-1]["total"] != size:
            raise Fail("last sample %d of %d, file size %d" % (loaded[-1], log[-1]["total"], size))
        if any(s["total"] != size for s in log):
            raise Fail("a sample's total is not the file size %d" % size)

    @check(needs=[c_upload_done])
    def c_in_list():
        wait(LIST_WAIT, lambda d: iso_row() is not None,
             "%s not in the list after %d s" % (iso_file, LIST_WAIT))

    if args.menu_url:
        @check(needs=[c_in_list])
        def c_in_menu():
            if not poll(LIST_WAIT, menu_has_name):
                raise Fail("%r not in %s after %d s" % (iso_name, args.menu_url, LIST_WAIT))

    if args.hold:
        @check(needs=[c_in_list])
        def c_hold():
            go = os.path.join(args.hold, "go")
            with open(os.path.join(args.hold, "ready"), "w", encoding="utf-8") as f:
                f.write(iso_file + "\n")
            if not poll(HOLD_WAIT, lambda: os.path.exists(go)):
                raise Fail("no %s after %d s" % (go, HOLD_WAIT))
            with open(go, encoding="utf-8") as f:
                said = f.read().strip()
            if said != "ok":
                raise Fail("the caller said %r" % said)

    @check(needs=[c_in_list])
    def c_delete():
        for _ in range(3):
            try:
                iso_row().find_element(By.CSS_SELECTOR, "button.danger").click()
                break
            except StaleElementReferenceException:  # the list was redrawn meanwhile
                time.sleep(0.5)
        alert = wait(WAIT, EC.alert_is_present(), "no confirm dialog")
        if iso_file not in alert.text:
            alert.dismiss()
            raise Fail("the confirm dialog does not name the file: %r" % alert.text)
        alert.accept()
        wait(LIST_WAIT, lambda d: iso_row() is None,
             "%s still in the list after %d s" % (iso_file, LIST_WAIT))

    if args.menu_url:
        @check(needs=[c_delete])
        def c_out_of_menu():
            if not poll(LIST_WAIT, lambda: not menu_has_name()):
                raise Fail("%r still in %s after %d s" % (iso_name, args.menu_url, LIST_WAIT))

    @check(needs=[c_login])
    def c_logout():
        driver.find_element(By.ID, "logout").click()
        wait(WAIT, EC.visibility_of_element_located((By.ID, "login-form")),
             "no login form after Log out")
        if driver.find_element(By.ID, "app").is_displayed():
            raise Fail("the admin page is still shown")
finally:
    try:
        entries = driver.get_log("browser")
    except Exception as e:
        entries = [{"level": "INFO", "message": "no browser log: %s" % e, "timestamp": 0}]
    with open(os.path.join(args.artefacts, "browser-console.log"), "w", encoding="utf-8") as f:
        for e in entries:
            f.write("%s %s %s\n" % (e.get("timestamp"), e.get("level"), e.get("message")))
    driver.quit()

summary = "%d passed, %d failed" % (len(checks) - len(failed), len(failed))
with open(os.path.join(args.artefacts, "summary.txt"), "w", encoding="utf-8") as f:
    f.write(summary + "\n")
print("# " + summary, flush=True)
sys.exit(1 if failed else 0)

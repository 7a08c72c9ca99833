"""`etp-bot factories code FACTORY_ID --qr FILE`: the QR image of a binding code, read back as a
phone would (zxing-cpp): a WeChat parameter QR code made through the (fake) WeChat API, whose
scene is the code, or a QR code of the text `/bind CODE`."""
import asyncio
import io
import os
import shutil
from pathlib import Path

from PIL import Image

from bot.cli import main
from tests.bot.test_factories_cli import FACTORIES, _chat, cli, write  # noqa: F401 - fixture
from tests.conftest import require
from tests.fakes.wechat import QR_CREATE


def read_qr(png: bytes) -> str:
    import zxingcpp

    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found.text


async def read_svg_qr(path: Path) -> str:
    """The text of an SVG QR code as Chromium draws it."""
    chromium = os.environ.get("ETP_TEST_CHROMIUM") or shutil.which("chromium")
    require(bool(chromium), "chromium is not installed (draws the SVG)")
    from playwright.async_api import async_playwright

    from tests.bot.staff.test_browser import CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.set_content(path.read_text())
            return read_qr(await page.locator("svg").screenshot())
        finally:
            await browser.close()


def test_a_text_qr_code_carries_the_bind_command_and_binds(cli, config, tmp_path: Path) -> None:
    cli("factories", "import", write(tmp_path, "f.csv", FACTORIES))
    png = tmp_path / "code.png"
    code, out, err = cli("factories", "code", "F-1", "--qr", str(png))
    assert code == 0 and f"QR code of the text /bind {out.strip()}" in err
    scanned = read_qr(png.read_bytes())
    assert scanned == f"/bind {out.strip()}"
    assert "linked to Sunny Toys Ltd" in asyncio.run(_chat(config, "555000222", scanned))

    svg = tmp_path / "code.svg"
    code, out, _ = cli("factories", "code", "F-2", "--qr", str(svg))
    assert code == 0 and svg.read_text().lstrip().startswith("<?xml")
    assert asyncio.run(read_svg_qr(svg)) == f"/bind {out.strip()}"


def test_a_wrong_file_name_or_missing_wechat_keys_issue_no_code(cli, tmp_path: Path) -> None:
    cli("factories", "import", write(tmp_path, "f.csv", FACTORIES))
    code, out, err = cli("factories", "code", "F-1", "--qr", str(tmp_path / "code.jpg"))
    assert (code, out) == (2, "") and ".svg or .png" in err
    code, out, err = cli("factories", "code", "F-1", "--qr", str(tmp_path / "c.png"), "--qr-for", "wechat")
    assert (code, out) == (2, "") and "WECHAT_APP_ID" in err and not (tmp_path / "c.png").exists()


async def test_a_wechat_qr_code_is_made_by_wechat_with_the_code_as_its_scene(config, fake_wechat, monkeypatch,
                                                                             tmp_path: Path, capsys) -> None:
    from tests.conftest import SECRET

    for name, value in {"ETP_DATABASE_URL": config.database_url, "ETP_SECRET_KEY": SECRET,
                        "ETP_KEY_FILE": str(tmp_path / "key"), "WECHAT_APP_ID": fake_wechat.app_id,
                        "WECHAT_APP_SECRET": fake_wechat.app_secret, "WECHAT_API_BASE": fake_wechat.url}.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    # the CLI runs its own event loop, as at a shell; this test's loop serves the fake WeChat meanwhile
    await asyncio.to_thread(run, "factories", "import", write(tmp_path, "f.csv", FACTORIES))
    png = tmp_path / "wechat.png"
    code, out, err = await asyncio.to_thread(run, "factories", "code", "F-1", "--ttl-days", "45", "--qr", str(png))
    binding_code = out.strip()
    assert code == 0 and "WeChat QR code" in err and "30 days" in err
    (call,) = fake_wechat.delivered(QR_CREATE)
    assert call["action_name"] == "QR_STR_SCENE" and call["action_info"]["scene"]["scene_str"] == binding_code
    assert call["expire_seconds"] == 30 * 24 * 3600  # WeChat's longest; the code itself lasts 45 days
    assert read_qr(png.read_bytes()) == fake_wechat.qr_url(binding_code)

    fake_wechat.error(QR_CREATE, 45009, "reach max api daily quota limit")
    code, out, err = await asyncio.to_thread(run, "factories", "code", "F-2", "--qr", str(tmp_path / "x.png"))
    assert code == 2 and out.strip() and "the code above is issued, but WeChat made no QR code" in err
    assert "45009" in err and not (tmp_path / "x.png").exists()
    code, out, _ = await asyncio.to_thread(run, "factories", "code", "F-2", "--qr", str(tmp_path / "t.png"),
                                           "--qr-for", "text")
    assert code == 0 and read_qr((tmp_path / "t.png").read_bytes()) == f"/bind {out.strip()}"
    assert len(fake_wechat.delivered(QR_CREATE)) == 1

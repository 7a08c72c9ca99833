async def test_smoke(wechat_config, serve, wechat_user, fake_wechat):
    async with serve(wechat_config) as client:
        user = wechat_user(client)
        print(await user.say("hi"))
        print(await user.say("1"))
        print(await user.say("How much is the registration fee?"))

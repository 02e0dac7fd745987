import AccrueCore
import Hummingbird

/// The languages the pages speak: chosen by `?lang=`, then the `accrue_lang` cookie, then the
/// browser's Accept-Language. A program's own texts (rule titles, reasons, benefits) are shown as
/// the program file writes them.
enum Language: String, Sendable, CaseIterable {
    case en, zh

    var tag: String { self == .en ? "en" : "zh-Hans" }
    var texts: Texts { self == .en ? .english : .chinese }
    var label: String { self == .en ? "English" : "简体中文" }

    static let cookie = "accrue_lang"

    static func of(_ request: Request) -> Language {
        if let asked = request.query("lang").flatMap(Language.init(rawValue:)) { return asked }
        if let kept = request.cookie(cookie).flatMap(Language.init(rawValue:)) { return kept }
        return negotiate(request.headers[.acceptLanguage] ?? "")
    }

    /// The first language of the header's list (by its q-values) that the pages speak.
    static func negotiate(_ header: String) -> Language {
        var best: (Language, Double)?
        for (position, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            var quality = 1.0 - Double(position) * 0.0001
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let language: Language? = tag.hasPrefix("zh") ? .zh : tag.hasPrefix("en") ? .en : nil
            if let language, quality > 0, quality > (best?.1 ?? -1) { best = (language, quality) }
        }
        return best?.0 ?? .en
    }

    /// Keeps an explicit choice for a year.
    var cookieHeader: String { Cookie.set(Language.cookie, rawValue, path: "/", maxAge: 365 * 86_400, sameSite: "Lax") }
}

/// Every fixed text of the pages, in one language.
struct Texts: Sendable {
    var skipToContent: String
    var memberPage: String
    var done: String
    var refused: String
    var voucherCode: @Sendable (String) -> String
    var balance: String
    var worth: @Sendable (String) -> String
    var pending: String
    var availableOn: @Sendable (String, String) -> String
    var availableWhen: @Sendable (String, PendingWait) -> String
    var held: String
    var holdLine: @Sendable (String, String) -> String
    /// What a hold is for: (`booking`, `checkout` or `draw`, its booking id, hold id or draw name).
    var holdName: @Sendable (String, String) -> String
    /// Titles of another currency's balance and expiry sections: "My coins", "Coins expiring soon".
    var balanceOf: @Sendable (String) -> String
    var expiringSoonOf: @Sendable (String) -> String
    var drawCancelled: @Sendable (String) -> String
    var expiringSoon: String
    var nothingExpiring: String
    var neverExpire: @Sendable (String) -> String
    var expireOn: @Sendable (String) -> String
    var allExpiry: String
    var level: String
    var youAre: @Sendable (String) -> String
    var toNext: @Sendable (String, String) -> String
    var counted: @Sendable (String, String) -> String
    var topLevel: String
    var toKeep: @Sendable (String) -> String
    var whatCounts: String
    var nextEvaluation: @Sendable (String) -> String
    var scheduled: @Sendable (String, String) -> String
    var benefits: String
    var coupons: String
    var issuedOn: @Sendable (String) -> String
    var rewards: String
    var cost: @Sendable (String, String) -> String
    var stockLeft: @Sendable (String) -> String
    var limit: @Sendable (Int64, Period, Int64) -> String
    var kind: @Sendable (Reward.Kind) -> String
    var claim: String
    var needMore: @Sendable (String) -> String
    var bookServices: String
    var chooseServices: String
    var perUnit: @Sendable (String, String, String?) -> String
    var unitName: @Sendable (String) -> String
    var airport: String
    var quote: String
    var quoteText: @Sendable (String, String) -> String
    var getQuote: String
    var book: String
    var yourBookings: String
    var bookingStatus: @Sendable (Booking.Status) -> String
    var cancel: String
    var history: String
    var noHistory: String
    var when: String
    var what: String
    var why: String
    var whatHappened: @Sendable (String) -> String
    var older: String
    var noMember: String
    var linkInvalid: String
    var linkInvalidDetail: String
    var sessionExpired: String
    var formExpired: String
    var notFound: String
    var failed: String
    var chooseOneService: String
    var retired: String
    var draws: String
    var drawTimes: @Sendable (String, String, String) -> String
    var prizes: String
    var yourTickets: @Sendable (String, Int) -> String
    var noWin: String
    var youWon: @Sendable (String) -> String
    var seedRevealed: String
    var commitment: String
    var entries: String
    var enter: String
    var transfers: String
    var rate: @Sendable (String, String, String, String) -> String
    var minimumOf: @Sendable (String) -> String
    var window: @Sendable (String, String) -> String
    var todayLeft: @Sendable (String) -> String
    var transfer: String
    var give: String
    var giveTo: String

    func what(_ code: String) -> String { whatHappened(code) }
}

extension Texts {
    static let english = Texts(
        skipToContent: "Skip to content",
        memberPage: "My points",
        done: "Done.",
        refused: "Not done:",
        voucherCode: { "Your code: \($0)." },
        balance: "Balance",
        worth: { "worth \($0)" },
        pending: "Pending",
        availableOn: { "\($0) available on \($1)" },
        availableWhen: { points, what in
            switch what {
            case .returnWindow: return "\(points) available when the order's return window closes"
            case .delivery: return "\(points) available after the order is delivered"
            case .dispute: return "\(points) waiting for the order's dispute to be resolved"
            }
        },
        held: "Held",
        holdLine: { "\($1) held by \($0)" },
        holdName: { kind, name in kind == "draw" ? "tickets in \(name) until it is drawn" : "\(kind) \(name)" },
        balanceOf: { "My \($0)" },
        expiringSoonOf: { "\($0.prefix(1).uppercased() + $0.dropFirst()) expiring soon" },
        drawCancelled: { "This draw was cancelled (\($0)). The points of every ticket were returned." },
        expiringSoon: "Expiring soon",
        nothingExpiring: "Nothing expires in the coming weeks.",
        neverExpire: { "\($0.prefix(1).uppercased() + $0.dropFirst()) do not expire in this program." },
        expireOn: { "expire on \($0)" },
        allExpiry: "When all my points expire",
        level: "Level",
        youAre: { "You are \($0)." },
        toNext: { "\($1) more to reach \($0)" },
        counted: { "\($0) of \($1) counted" },
        topLevel: "You are at the top level.",
        toKeep: { "\($0) more needed to keep this level at the next evaluation." },
        whatCounts: "What counts",
        nextEvaluation: { "The next evaluation takes effect on \($0)." },
        scheduled: { "From \($1) you will be \($0)." },
        benefits: "Benefits",
        coupons: "Coupons and vouchers",
        issuedOn: { "issued \($0)" },
        rewards: "Rewards",
        cost: { "\($0) \($1)" },
        stockLeft: { "\($0) left" },
        limit: { count, period, left in "at most \(count) per \(period.rawValue), \(left) left for you" },
        kind: { kind in
            switch kind {
            case .voucher: return "voucher"
            case .drawEntry: return "lucky-draw entry"
            case .item: return "item"
            }
        },
        claim: "Claim",
        needMore: { "\($0) more needed" },
        bookServices: "Book services",
        chooseServices: "Choose services",
        perUnit: { cost, name, unit in unit.map { "\(cost) \(name) per \($0.hasSuffix("s") ? String($0.dropLast()) : $0)" } ?? "\(cost) \(name)" },
        unitName: { $0 },
        airport: "airport",
        quote: "Quote",
        quoteText: { "\($0) \($1)" },
        getQuote: "Update quote",
        book: "Book",
        yourBookings: "My bookings",
        bookingStatus: { status in
            switch status {
            case .held: return "waiting for confirmation"
            case .confirmed: return "confirmed"
            case .rejected: return "rejected"
            case .cancelled: return "cancelled"
            }
        },
        cancel: "Cancel",
        history: "History",
        noHistory: "Nothing yet.",
        when: "When",
        what: "What",
        why: "Why",
        whatHappened: { code in englishWhat[code] ?? code },
        older: "Older",
        noMember: "No points yet: they appear here after your first order or sign-in.",
        linkInvalid: "This link does not work",
        linkInvalidDetail: "It has expired or was changed. Open your points page again from the shop.",
        sessionExpired: "Your session has ended. Open your points page again from the shop.",
        formExpired: "This form has expired. Reload the page and try again.",
        notFound: "There is no such page.",
        failed: "Something went wrong on our side; nothing was changed. Try again in a moment.",
        chooseOneService: "Choose at least one service.",
        retired: "This program has ended: points can be viewed but not used.",
        draws: "Lucky draws",
        drawTimes: { "Entries from \($0) to \($1); drawn at \($2)." },
        prizes: "Prizes",
        yourTickets: { mine, all in mine.isEmpty ? "You have no tickets (\(all) in all)." : "Your tickets: \(mine) (of \(all))." },
        noWin: "None of your tickets won this time.",
        youWon: { "You won: \($0)." },
        seedRevealed: "Drawn with the seed",
        commitment: "Committed before entries opened: SHA-256 of the seed =",
        entries: "Entries",
        enter: "Enter",
        transfers: "Transfer to partners",
        rate: { points, name, units, partner in "\(points) \(name) = \(units) \(partner)" },
        minimumOf: { "at least \($0) at a time" },
        window: { "open \($0) to \($1)" },
        todayLeft: { "\($0) left today" },
        transfer: "Transfer",
        give: "Give",
        giveTo: "to member"
    )

    static let englishWhat: [String: String] = [
        "member.joined": "Joined", "order.completed": "Order", "order.refunded": "Refund", "order.disputed": "Dispute",
        "review.posted": "Review", "member.signed_in": "Sign-in", "post.published": "Post", "share.posted": "Share",
        "referral.completed": "Referral", "campaign.joined": "Campaign", "points.redeemed": "Paid at checkout",
        "reward.claimed": "Reward", "reward.gifted": "Gift", "coupon_given": "Gift sent", "draw.entered": "Lucky draw",
        "draw.committed": "Draw committed", "draw.revealed": "Draw", "points.transferred": "Transfer",
        "order.delivered": "Delivered", "order.return_window_closed": "Return window closed", "order.dispute_resolved": "Dispute resolved",
        "booking.requested": "Booking", "booking.confirmed": "Booking confirmed",
        "booking.rejected": "Booking rejected", "booking.cancelled": "Booking cancelled", "points.adjusted": "Adjustment",
        "checkout.held": "Checkout", "checkout.captured": "Checkout paid", "checkout.released": "Checkout released",
        "release": "Now available", "expire": "Expired", "expiry_notice": "Expiry reminder", "tier_change": "Level changed",
        "tier_scheduled": "Level counted", "coupon": "Coupon", "cancel_pending": "Pending cancelled", "reverse": "Taken back",
        "pay_debt": "Debt paid", "hold_release": "Hold released", "capture": "Spent", "hold": "Held", "spend": "Spent",
        "earn": "Earned", "earn_pending": "Earned (pending)", "adjust": "Adjustment",
    ]

    static let chinese = Texts(
        skipToContent: "跳到正文",
        memberPage: "我的积分",
        done: "已完成。",
        refused: "未完成：",
        voucherCode: { "您的券码：\($0)。" },
        balance: "可用积分",
        worth: { "价值 \($0)" },
        pending: "待入账",
        availableOn: { "\($0) 将于 \($1) 可用" },
        availableWhen: { points, what in
            switch what {
            case .returnWindow: return "\(points) 将在订单退货期结束后可用"
            case .delivery: return "\(points) 将在订单送达后可用"
            case .dispute: return "\(points) 等待订单纠纷处理完毕"
            }
        },
        held: "已冻结",
        holdLine: { "\($0) 冻结 \($1)" },
        holdName: { kind, name in kind == "draw" ? "\(name) 抽奖券（开奖前）" : kind == "booking" ? "预订 \(name)" : "下单 \(name)" },
        balanceOf: { "我的\($0)" },
        expiringSoonOf: { "即将过期的\($0)" },
        drawCancelled: { "本次抽奖已取消（\($0)），所有抽奖券的积分已退回。" },
        expiringSoon: "即将过期",
        nothingExpiring: "未来几周内没有积分过期。",
        neverExpire: { _ in "本计划的积分永不过期。" },
        expireOn: { "将于 \($0) 过期" },
        allExpiry: "查看全部积分的过期时间",
        level: "等级",
        youAre: { "您当前是\($0)。" },
        toNext: { "再获得 \($1) 即可升至\($0)" },
        counted: { "已累计 \($0) / \($1)" },
        topLevel: "您已是最高等级。",
        toKeep: { "下次评定前还需 \($0) 才能保级。" },
        whatCounts: "计算规则",
        nextEvaluation: { "下次评定于 \($0) 生效。" },
        scheduled: { "自 \($1) 起您将成为\($0)。" },
        benefits: "等级权益",
        coupons: "优惠券",
        issuedOn: { "发放于 \($0)" },
        rewards: "积分兑换",
        cost: { "\($0) \($1)" },
        stockLeft: { "剩余 \($0)" },
        limit: { count, period, left in
            let unit = period == .day ? "每天" : period == .month ? "每月" : "每年"
            return "\(unit)限 \(count) 次，您还可兑换 \(left) 次"
        },
        kind: { kind in
            switch kind {
            case .voucher: return "优惠券"
            case .drawEntry: return "抽奖机会"
            case .item: return "实物"
            }
        },
        claim: "兑换",
        needMore: { "还差 \($0)" },
        bookServices: "预订服务",
        chooseServices: "选择服务",
        perUnit: { cost, name, unit in unit.map { "每\(chineseUnit[$0] ?? $0) \(cost) \(name)" } ?? "\(cost) \(name)" },
        unitName: { chineseUnitCount[$0] ?? $0 },
        airport: "机场",
        quote: "所需积分",
        quoteText: { "\($0) \($1)" },
        getQuote: "更新报价",
        book: "预订",
        yourBookings: "我的预订",
        bookingStatus: { status in
            switch status {
            case .held: return "待确认"
            case .confirmed: return "已确认"
            case .rejected: return "已拒绝"
            case .cancelled: return "已取消"
            }
        },
        cancel: "取消",
        history: "积分明细",
        noHistory: "暂无记录。",
        when: "时间",
        what: "事项",
        why: "说明",
        whatHappened: { code in chineseWhat[code] ?? code },
        older: "更早的记录",
        noMember: "暂无积分：首次下单或签到后将显示在这里。",
        linkInvalid: "链接无效",
        linkInvalidDetail: "链接已过期或被修改。请从商城重新打开积分页面。",
        sessionExpired: "会话已结束。请从商城重新打开积分页面。",
        formExpired: "表单已过期，请刷新页面后重试。",
        notFound: "页面不存在。",
        failed: "系统出错，未做任何更改。请稍后重试。",
        chooseOneService: "请至少选择一项服务。",
        retired: "该积分计划已结束：积分可查看，但不能使用。",
        draws: "幸运抽奖",
        drawTimes: { "参与时间 \($0) 至 \($1)；开奖时间 \($2)。" },
        prizes: "奖品",
        yourTickets: { mine, all in mine.isEmpty ? "您还没有抽奖券（共 \(all) 张）。" : "您的抽奖券：\(mine)（共 \(all) 张）。" },
        noWin: "很遗憾，本次未中奖。",
        youWon: { "恭喜中奖：\($0)。" },
        seedRevealed: "开奖种子",
        commitment: "参与开始前公布的种子 SHA-256：",
        entries: "数量",
        enter: "参与",
        transfers: "转入合作伙伴",
        rate: { points, name, units, partner in "\(points) \(name) = \(units) \(partner)" },
        minimumOf: { "每次至少 \($0)" },
        window: { "开放时间 \($0) 至 \($1)" },
        todayLeft: { "今日还可转 \($0)" },
        transfer: "转出",
        give: "赠送",
        giveTo: "给会员"
    )

    static let chineseUnit: [String: String] = ["nights": "晚", "meals": "餐", "days": "天"]
    static let chineseUnitCount: [String: String] = ["nights": "晚数", "meals": "餐数", "days": "天数"]

    static let chineseWhat: [String: String] = [
        "member.joined": "加入", "order.completed": "订单", "order.refunded": "退款", "order.disputed": "纠纷",
        "review.posted": "评价", "member.signed_in": "签到", "post.published": "发帖", "share.posted": "分享",
        "referral.completed": "邀请", "campaign.joined": "活动", "points.redeemed": "积分抵现",
        "reward.claimed": "兑换", "reward.gifted": "赠送", "coupon_given": "已赠出", "draw.entered": "幸运抽奖",
        "draw.committed": "抽奖承诺", "draw.revealed": "开奖", "points.transferred": "积分转出",
        "order.delivered": "已送达", "order.return_window_closed": "退货期结束", "order.dispute_resolved": "纠纷已处理",
        "booking.requested": "预订", "booking.confirmed": "预订已确认",
        "booking.rejected": "预订被拒", "booking.cancelled": "预订已取消", "points.adjusted": "调整",
        "checkout.held": "下单冻结", "checkout.captured": "下单扣除", "checkout.released": "下单解冻",
        "release": "转为可用", "expire": "过期", "expiry_notice": "过期提醒", "tier_change": "等级变更",
        "tier_scheduled": "等级评定", "coupon": "优惠券", "cancel_pending": "待入账取消", "reverse": "扣回",
        "pay_debt": "抵扣欠分", "hold_release": "解冻", "capture": "扣除", "hold": "冻结", "spend": "使用",
        "earn": "获得", "earn_pending": "获得（待入账）", "adjust": "调整",
    ]
}

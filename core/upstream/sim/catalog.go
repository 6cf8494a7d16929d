package sim

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"

	"github.com/shopspring/decimal"
)

// serviceInfo is one service of the built-in catalog.
type serviceInfo struct {
	Code string
	Name string
}

// catalogServices are SMS-Activate's codes for the services people buy most.
var catalogServices = []serviceInfo{
	{"wa", "WhatsApp"}, {"tg", "Telegram"}, {"go", "Google,youtube,Gmail"}, {"fb", "facebook"},
	{"ig", "Instagram+Threads"}, {"tw", "Twitter"}, {"ds", "Discord"}, {"vi", "Viber"},
	{"wb", "WeChat"}, {"lf", "TikTok/Douyin"}, {"mm", "Microsoft"}, {"mb", "Yahoo"},
	{"am", "Amazon"}, {"fu", "Snapchat"}, {"oi", "Tinder"}, {"tn", "LinkedIn"},
	{"nf", "Netflix"}, {"ub", "Uber"}, {"ts", "PayPal"}, {"wx", "Apple"},
	{"dr", "OpenAI"}, {"mt", "Steam"}, {"ka", "Shopee"}, {"ot", "Any other"},
}

// countryInfo is one country of the built-in catalog with what it takes to
// make up a plausible mobile number there.
type countryInfo struct {
	ID          int
	Eng         string
	Rus         string
	Chn         string
	CallingCode string
	// Prefixes start the national number (mobile ranges, area codes).
	Prefixes []string
	// NationalLen is the length of the national number, prefix included.
	NationalLen int
}

// catalogCountries use SMS-Activate's country ids.
var catalogCountries = []countryInfo{
	{0, "Russia", "Россия", "俄罗斯", "7", []string{"91", "92", "95", "96", "98"}, 10},
	{4, "Philippines", "Филиппины", "菲律宾", "63", []string{"91", "92", "93", "95", "99"}, 10},
	{6, "Indonesia", "Индонезия", "印度尼西亚", "62", []string{"812", "813", "821", "852", "857"}, 11},
	{16, "United Kingdom", "Великобритания", "英国", "44", []string{"74", "75", "77", "78", "79"}, 10},
	{19, "Nigeria", "Нигерия", "尼日利亚", "234", []string{"803", "806", "810", "813", "903", "706"}, 10},
	{22, "India", "Индия", "印度", "91", []string{"70", "80", "90", "93", "98"}, 10},
	{31, "South Africa", "ЮАР", "南非", "27", []string{"60", "71", "72", "82", "83"}, 9},
	{36, "Canada", "Канада", "加拿大", "1", []string{"416", "514", "604", "647", "778"}, 10},
	{43, "Germany", "Германия", "德国", "49", []string{"151", "152", "157", "160", "176"}, 11},
	{52, "Thailand", "Таиланд", "泰国", "66", []string{"6", "8", "9"}, 9},
	{54, "Mexico", "Мексика", "墨西哥", "52", []string{"55", "33", "81"}, 10},
	{73, "Brazil", "Бразилия", "巴西", "55", []string{"119", "219", "319", "419", "519"}, 11},
	{78, "France", "Франция", "法国", "33", []string{"6", "7"}, 9},
	{187, "USA", "США", "美国", "1", []string{"201", "212", "305", "312", "415", "512", "646", "702", "718", "917"}, 10},
}

// offerKey identifies a service in a country.
type offerKey struct {
	service string
	country int
}

// offer is the price and stock of a service in a country.
type offer struct {
	cost  decimal.Decimal
	count int
}

// seededOffer derives the catalog offer for one pair from the seed alone,
// so two simulators with the same seed quote the same prices and stock no
// matter in which order they were asked: cost 0.05–2.00 USD, stock 20–2019.
func seededOffer(seed int64, service string, country int) offer {
	h := fnv.New64a()
	_, _ = h.Write([]byte(service + "/" + strconv.Itoa(country)))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	return offer{
		cost:  decimal.New(int64(5+rng.IntN(196)), -2),
		count: 20 + rng.IntN(2000),
	}
}

// phone makes up a number in c: calling code, a mobile prefix, random digits.
func (c countryInfo) phone(rng *rand.Rand) string {
	b := []byte(c.CallingCode)
	prefix := c.Prefixes[rng.IntN(len(c.Prefixes))]
	b = append(b, prefix...)
	for range c.NationalLen - len(prefix) {
		b = append(b, byte('0'+rng.IntN(10)))
	}
	return string(b)
}

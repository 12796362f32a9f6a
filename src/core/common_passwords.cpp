// SPDX-License-Identifier: AGPL-3.0-or-later
// The list: base words and digit strings from the top of public leaked-password rankings. The
// policy also strips digits/symbols around a password and undoes l33t digits before looking it
// up, so "Password123!" and "p4ssw0rd" count as well.
#include "core/common_passwords.h"

#include <string>
#include <unordered_set>

namespace nimbus::core {
namespace {

constexpr std::string_view kList = R"(
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball
abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890
michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan
jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew tigger sunshine iloveyou 2000
charlie robert thomas hockey ranger daniel starwars klaster 112233 george computer michelle
jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753 aaaaaa
ginger princess joshua cheese amanda summer love ashley nicole chelsea biteme matthew access
yankees 987654321 dallas austin thunder taylor matrix mobilemail mom monitor monitoring montana
moon moscow william corvette hello martin heather secret merlin diamond 1234qwer gfhjkm hammer
silver 222222 88888888 anthony justin test bailey q1w2e3r4t5 patrick internet scooter orange
11111 golfer cookie richard samantha bigdog guitar jackson whatever mickey chicken sparky snoopy
maverick phoenix camaro peanut morgan welcome falcon cowboy ferrari samsung andrea smokey
steelers joseph mercedes dakota arsenal eagles melissa boomer booboo spider nascar monster
tigers yellow xxxxxx 123123123 gateway marina diablo bulldog qwer1234 compaq purple hardcore
banana junior hannah 123654 porsche lakers iceman money cowboys 987654 london tennis 999999
ncc1701 coffee scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever johnny
edward 333333 oliver redsox player nikita knight fender barney midnight please brandy chicago
badboy slayer rangers charles angel flower rabbit wizard bigdick jasper enter rachel chris
steven winner adidas victoria natasha 1q2w3e4r jasmine winter prince panties marine ghbdtn
fishing cocacola casper james 232323 raiders 888888 marlboro gandalf asdfasdf crystal 87654321
12344321 golden 8675309 blowme sexy magic zaq12wsx abcdef abcdefg abcdefgh admin administrator
root toor changeme default guest login passw0rd p@ssw0rd password1 password12 password123
passwort motdepasse contrasena senha parola haslo salasana wachtwoord losenord adgangskode heslo
jelszo sifre parool qwerty123 qwertyui asdfghjkl asdf1234 zxcvbnm1 1q2w3e 1q2w3e4r5t qweasd
qweasdzxc zaq1xsw2 qazwsxedc 1qazxsw2 asdzxc qwe123 abc12345 a123456 123abc aa123456 password!
welcome1 letmein1 monkey1 dragon1 iloveu iloveyou1 loveme lovely loveyou mylove babygirl baby
beautiful angel1 princess1 sweety sweetie honey cutie butterfly flowers sunflower rainbow
nothing superstar starwars1 pokemon naruto sasuke goku vegeta onepiece minecraft roblox fortnite
pikachu mario zelda sonic halo destiny warcraft starcraft counterstrike dota league lol123
liverpool manchester chelsea1 arsenal1 barcelona realmadrid juventus football1 soccer1
basketball baseball1 hockey1 volleyball cricket rugby golf tennis1 boxing wrestling jesus jesus1
christ god blessed faith grace heaven angels trinity summer1 winter1 spring autumn january
february march april june july august september october november december monday friday sunday
weekend holiday christmas iloveyou2 teamo jetaime tequiero tiamo ichliebedich shadow1 master1
killer1 hunter1 ranger1 tiger tigers1 lion wolf eagle falcon1 hawk bear panther jaguar cobra
viper python snake shark dolphin monkey12 qwerty1 qwerty12 azerty azerty123 qwertz asdasd asdqwe
zxczxc qweqwe 123qweasd 1234abcd abcd1234 abcd abc 12341234 11223344 123456a 123456q aaaaaaaa
aaaa 1111111 11111111111 000000000 0000000 00000000 1212 121212121 112233445566 147258369 159357
147258 258456 789456 456789 741852963 963852741 123987 321321 100200 5201314 520520 charlie1
thomas1 michael1 robert1 jordan23 jordan1 daniel1 david andrew1 joshua1 matthew1 christopher
chris1 jason justin1 ryan nicholas jonathan kevin brian anthony1 william1 richard1 joseph1
steven1 mark paul john johnny1 peter alex alexander alexandra sebastian maximilian lucas gabriel
benjamin samuel nathan ethan logan mason jessica1 ashley1 amanda1 jennifer1 michelle1 nicole1
melissa1 stephanie elizabeth sarah emily emma olivia sophia isabella madison hannah1 lauren
rebecca rachel1 samantha1 natalie victoria1 diana linda maria anna jessie computer1 internet1
windows linux ubuntu debian apple macintosh iphone android google facebook twitter instagram
youtube yahoo hotmail gmail microsoft samsung1 nokia sony nintendo playstation xbox secret1
secure security letmeinnow openup opensesame trustme trustnoone nopassword nopass none null
empty test123 testing test1 tester demo sample example temp temporary user username usuario
utilisateur benutzer superman1 batman1 spiderman ironman hulk thor captain avengers marvel
starwars2 darthvader skywalker yoda jedi sith matrix1 neo morpheus trinity1 terminator predator
alien rocky rambo hello123 hello1 helloworld welcome123 welcome12 letmein123 changeme1 default1
admin123 admin1 root123 password2 password3 passw0rd1 pass123 pass1234 pa55word pa55w0rd
p4ssword cheese1 chocolate cookie1 cookies candy sugar pepper1 ginger1 banana1 apple1 orange1
lemon cherry strawberry peaches mango pumpkin muffin cupcake pizza burger hotdog money1 money123
cash dollar rich million billion lucky lucky7 lucky13 winner1 champion victory success power
freedom1 liberty justice america usa canada england france germany italy spain russia china
japan india brazil mexico australia mustang1 corvette1 ferrari1 porsche1 mercedes1 bmw audi
toyota honda nissan ford chevy harley1 yamaha1 kawasaki ducati suzuki blink182 metallica
slipknot nirvana eminem tupac beatles queen elvis rockstar rocknroll music guitar1 piano drummer
singer family family1 mommy daddy mother1 father sister brother friends friend bestfriend
forever1 together always a1b2c3 a1b2c3d4 aa12345678 qwertyuiop1 1qaz2wsx3edc zaq12wsxcde qwaszx
qwerasdf 1q2w3e4r5t6y 1qaz1qaz 2wsx3edc q1w2e3 abc123456 123456789a 12345678a 1234567a 12345a
123456789q trustno11 whatever1 nothing1 something anything everything someone everyone nobody
somebody sunshine1 shadow12 starlight moonlight midnight1 darkness darkside light heaven1 hell
devil demon satan lucifer angel12 dragon12 dragons wizard1 merlin1 gandalf1 frodo hobbit legolas
aragorn sauron ncc1701d enterprise spock kirk picard startrek pussy fuckyou fuckoff fucker
asshole bitch shit sex sexy1 hottie horny penis vagina boobs qwerty1234 qwerty12345 asdfgh123
zxcvbn123 1234567891 12345678910 0987654321 987654321a
)";

const std::unordered_set<std::string_view>& Set() {
  static const std::unordered_set<std::string_view> set = [] {
    std::unordered_set<std::string_view> s;
    std::size_t i = 0;
    while (i < kList.size()) {
      std::size_t j = kList.find_first_of(" \n", i);
      if (j == std::string_view::npos) j = kList.size();
      if (j > i) s.insert(kList.substr(i, j - i));
      i = j + 1;
    }
    return s;
  }();
  return set;
}

}  // namespace

bool IsCommonPasswordExact(std::string_view lower) { return Set().contains(lower); }

std::size_t CommonPasswordCount() { return Set().size(); }

}  // namespace nimbus::core
